"""What Redis keeps of a game: its start, first in its list, and its secrets.

A game's list begins with the record of its start: its keys and seats as
created; every other change follows it (script.py appends them). Each of its
secrets finds it through a lookup key (keys.py).

"""

import json

from games.core import Room, Seat
from server.redis_games.keys import log_key, lookup_key, ttl_ms

__all__ = ["store_new_game", "index_token", "room_from_start", "roles"]


async def store_new_game(redis, room):
    """Store a game's start and make it findable by its keys and its host's token."""
    start = {"join": room.join_key, "watch": room.watch_key, "host": seat_record(room.host)}
    if room.guest is not None:
        start["guest"] = seat_record(room.guest)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.rpush(log_key(room.number), json.dumps(start))
        pipe.pexpire(log_key(room.number), ttl_ms())
        for key in (room.join_key, room.watch_key, room.host.token):
            pipe.set(lookup_key(key), room.number, px=ttl_ms())
        await pipe.execute()


async def index_token(redis, game_id, token, old_token):
    """Make a new guest's token find the game, and the previous guest's not."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(lookup_key(token), game_id, px=ttl_ms())
        if old_token is not None:
            pipe.delete(lookup_key(old_token))
        await pipe.execute()


def seat_record(seat):
    """What Redis keeps of a seat when the game starts."""
    return {"player": seat.player, "token": seat.token, "computer": seat.computer}


def room_from_start(game_id, start):
    """A copy of a game as it started, from the first entry of its list."""
    host = Seat(**start["host"])
    guest = Seat(**start["guest"]) if "guest" in start else None
    # Its start is the first change: room.changes counts as ChangeOrder.applied.
    return Room(start["join"], start["watch"], host, guest, number=game_id, changes=1)


def roles(room):
    """Each seat taken, with the role that changes name it by: "host" or "guest"."""
    seats = (("host", room.host), ("guest", room.guest))
    return [(role, seat) for role, seat in seats if seat is not None]
