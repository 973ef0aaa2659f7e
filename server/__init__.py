"""The server's machinery around app.py.

serving.py and command_line.py: setting the servers up, from the command
line; limits.py and hardening.py: what the server allows; connections.py:
this process's connections in seats; page.py: serving the page;
redis_games/: games shared by several processes through Redis.

"""
