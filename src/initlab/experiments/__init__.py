<<<<<<< HEAD
"""Experiments: pure functions that return Result objects (data only)."""
=======
"""Experiments: pure functions that train and measure, returning Result objects (data only)."""
>>>>>>> sweep
