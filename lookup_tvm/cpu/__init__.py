"""The CPU side: target data, the host probe, ISA questions, thread counts and the one TVM import point."""
