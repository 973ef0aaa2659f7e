"""The game without I/O: rooms, seats and their changes in core.py, the events in events.py, the exceptions in exceptions.py, the games in memory in memory.py."""
