"""Experiments: pure functions that train and measure, returning Result objects (data only)."""
