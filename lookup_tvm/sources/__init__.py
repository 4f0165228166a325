"""Schedule sources, below the compiled kernels: the defaults, tuning logs (read, located, selected
for the host) and exported schedules."""
