"""The leaf kit every kernel family builds on: OpSpec and Operator, workloads, schedule helpers,
argument checks, buffers, tiling and kernel-set handles. It imports no family."""
