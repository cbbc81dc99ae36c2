"""Benchmarks. Each measures against a baseline in the same run and reports ratios."""
