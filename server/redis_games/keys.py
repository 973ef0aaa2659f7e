"""The names of a game's keys and channel in Redis, and how long they live.

Every name is a pure function of what it names: no I/O here. The secrets
that find a game (join key, watch key, seat tokens) are stored under their
SHA-256 only, and a Redis URL is logged without its password.

"""

import hashlib
import urllib.parse

from server.limits import LIMITS

__all__ = [
    "log_key",
    "channel",
    "game_of_channel",
    "lease_key",
    "lookup_key",
    "room_keys",
    "redacted",
    "renewal",
    "ttl_ms",
]


def log_key(game_id):
    """The list of a game's changes."""
    return f"c4:{{{game_id}}}:log"


def channel(game_id):
    """The channel where a game's changes are published."""
    return f"c4:{{{game_id}}}"


def game_of_channel(name):
    """The ID of the game whose changes a channel carries."""
    return name[len("c4:{") : -1]


def lease_key(process):
    """Exists while a process is alive: it renews it, else it expires."""
    return f"c4:process:{process}"


def lookup_key(key):
    """The Redis key that finds a game by one of its secrets."""
    return "c4:key:" + hashlib.sha256(key.encode()).hexdigest()


def room_keys(room):
    """The secrets that find a game: its keys and its players' tokens."""
    keys = [room.join_key, room.watch_key]
    keys += [seat.token for seat in room.seats if seat.computer is None]
    return keys


def redacted(url):
    """The Redis URL without its password, fit for a log."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username or ''}:***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + netloc))


def renewal():
    """Seconds between renewals of the games' expiry."""
    return min(5.0, max(0.2, LIMITS.grace / 4))


def ttl_ms():
    """How long a key outlives the last renewal: the grace period and a margin."""
    return int((LIMITS.grace + 3 * renewal()) * 1000)
