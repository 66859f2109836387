"""Benchmarks of 支部通: `python -m bench` (or `make bench`) prints every figure with its ratio to a floor
measured in the same run and writes docs/benchmarks.md."""
