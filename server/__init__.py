"""The server's machinery around app.py: serving the page, hardening, and games shared through Redis."""
