"""Schedule sources, below the compiled kernels: the defaults, tuning logs (read, located, selected for\nthe host) and exported schedules."""
