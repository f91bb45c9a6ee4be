"""Benchmarks at scale, outside the tests: see bench/run."""
