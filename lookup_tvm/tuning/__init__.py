"""Autotuning: MetaSchedule over each operator's knob space, persistence, and using the results."""
