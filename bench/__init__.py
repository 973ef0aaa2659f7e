"""A load benchmark of the Connect Four server: run ``python -m bench --help``.

The servers under test run as separate processes, and their CPU time and
memory are read from /proc, so the figures don't depend on how fast the load
generator is. bench/PERFORMANCE.md shows a run and explains it.

"""
