"""Autotuning, above the compiled kernels: MetaSchedule over each operator's knob space, the
resumable tuner, log provenance, the export of readable schedules and the tuning report."""
