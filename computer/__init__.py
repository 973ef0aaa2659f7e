"""The computer opponent: its levels and the analysis in levels.py, the worker processes that run them in pool.py."""
