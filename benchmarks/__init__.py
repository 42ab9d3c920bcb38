"""Seeded, reproducible performance benchmarks; run each as ``python -m benchmarks.<name>``."""
