"""Reproducible benchmarks: `python -m benchmarks` (or `make bench`) prints one JSON document."""
