"""Benchmarks: figures measured in one run and printed as JSON, never asserted."""
