"""Experiments: pure functions that return Result objects (data only)."""
