"""Where games live: ``Games``, in front of LocalGames, the games in this process's memory.

Any storage offers the same methods: create(), find(), change(), release()
and close(). change(room, decide) calls decide(room), which checks a change
against the game as it is and returns it, or raises InvalidEvent; then the
storage applies the change (games/core.py) and passes what it returns to
``deliver(room, outputs)``, which sends it to the connections. The other
storage, for several processes, is server/redis_games/.

"""

import asyncio
import itertools
import logging

from games.core import apply
from games.exceptions import GameNotFound, ServerFull
from server.limits import LIMITS

__all__ = ["Games", "LocalGames"]

log = logging.getLogger("connect4")


class Games:
    """The storage the games live in: LocalGames, until use() chooses another."""

    def __init__(self, storage):
        self.storage = storage

    def use(self, storage):
        """Keep the games in another storage from now on, e.g. Redis at start."""
        self.storage = storage

    async def create(self, room):
        """Store a new game and make it findable by its keys and its host's token."""
        await self.storage.create(room)

    async def find(self, kind, key):
        """Return the room that a join key, watch key or seat token opens."""
        return await self.storage.find(kind, key)

    async def change(self, room, decide):
        """Check a change against the game and apply it."""
        await self.storage.change(room, decide)

    def release(self, room):
        """Let go of a room found or created; the storage may forget it."""
        self.storage.release(room)


class LocalGames:
    """Games in this process's memory: registries of rooms by key and by seat token."""

    rooms = itertools.count(1)

    def __init__(self, join, watch, seats, deliver):
        self.join, self.watch, self.seats = join, watch, seats
        self.keys = {"join": join, "watch": watch, "token": seats}
        self.deliver = deliver  # sends what apply() returns to the connections

    async def create(self, room):
        """Make a new game findable by its keys and its host's token."""
        if len(self.join) >= LIMITS.games:
            raise ServerFull("The server has as many games as it can hold. Try again later.")
        room.number = next(self.rooms)
        self.join[room.join_key] = room
        self.watch[room.watch_key] = room
        self.seats[room.host.token] = room

    async def find(self, kind, key):
        """Return the room that a join key, watch key or seat token opens."""
        # The key comes from the client: it may be any JSON value, even unhashable.
        room = self.keys[kind].get(key) if isinstance(key, str) else None
        if room is None:
            raise GameNotFound("This game doesn't exist. It may have ended.")
        if room.expiry is not None:  # someone is back before it was forgotten
            room.expiry.cancel()
            room.expiry = None
        return room

    async def change(self, room, decide):
        """Check a change against the game and apply it."""
        # Nothing here awaits: no other connection acts between the check
        # and the change, so a seat found free is still free when taken.
        change = decide(room)
        if "token" in change:  # a guest is seated: from now on, its token opens the seat
            if room.guest is not None:
                del self.seats[room.guest.token]
            self.seats[change["token"]] = room
        self.deliver(room, apply(room, change))

    def release(self, room):
        """Forget a room once nobody is in it and nobody came back in time."""
        if not room.connected and room.expiry is None:
            room.expiry = asyncio.get_running_loop().call_later(LIMITS.grace, self.forget, room)

    def forget(self, room):
        """Drop a game that nobody came back to within the grace period."""
        del self.join[room.join_key], self.watch[room.watch_key]
        for seat in room.seats:
            if seat.computer is None:  # a computer's seat has no token to resume it
                self.seats.pop(seat.token, None)
        log.info("game %s: closed", room.number)

    async def close(self):
        """Nothing to close: the games end with the process."""
