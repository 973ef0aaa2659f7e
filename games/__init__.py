"""The game without I/O, which app.py connects to WebSocket connections.

core.py: seats, rooms, and the changes that move a game on; events.py: the
events, encoded; exceptions.py: what can go wrong; memory.py: the games in
this process's memory.

"""
