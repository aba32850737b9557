"""Benchmark scripts: each prints a table and saves JSON under benchmarks/results/ (not a test suite)."""
