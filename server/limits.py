"""What one server process allows, and how long it waits: ``LIMITS``.

A plain object, with nothing else to import, that the command line sets
(see server/command_line.py) and that the game's core, the hardening and the
Redis storage read alike.

"""

import dataclasses

__all__ = ["LIMITS", "Limits"]


@dataclasses.dataclass
class Limits:
    """What one server process allows; the command line can change each value."""

    games: int = 10_000  # games in progress at once
    connections: int = 30_000  # open WebSocket connections
    # Per client address, so that one client can't take the server from the
    # others: a family or a classroom behind one router never comes near.
    # 0 lifts a limit, e.g. for load tests from one machine.
    client_connections: int = 100  # open WebSocket connections
    client_games: int = 60  # new games a minute
    # Proxies whose X-Forwarded-For header names the client: ipaddress networks.
    trusted_proxies: tuple = ()
    init_timeout: float = 10.0  # seconds for a new connection to send its init
    # People click a few times a second; a client sending more is broken or hostile.
    messages_per_second: float = 20.0
    message_burst: int = 60
    # Seconds that a seat, and a game that nobody is in, wait for a player to
    # come back: a reload or a network blip must not lose the game.
    grace: float = 60.0
    # Seconds a computer's move takes at least, to look natural.
    computer_delay: float = 0.5
    # On a Redis Cluster, seconds a commit waits at most for a replica to have
    # it (WAIT), so that a master's death doesn't lose it; 0: don't wait.
    replica_wait: float = 0.1


LIMITS = Limits()
