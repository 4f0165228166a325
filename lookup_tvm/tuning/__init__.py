"""Autotuning, above the compiled kernels: MetaSchedule over each operator's knob space, the
resumable tuner, log provenance, the export of readable schedules and the tuning report."""
from lookup_tvm.ops import register_known_intrinsics

# A MetaSchedule database loads its records by replaying their traces, which fails on a tensor
# intrinsic not registered in the process: register ours on import, so that any database of our
# kernels opens after ``import lookup_tvm.tuning`` (through TVM's own JSONDatabase too).
register_known_intrinsics()
