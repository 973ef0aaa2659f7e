"""This process's copies of the games its connections are in, kept up to date.

A copy is built from its game's list, then follows the game's channel. Each
change that the process hears, commits or reads goes through the game's
ChangeOrder (server/change_order.py), which says which changes to apply
now: each once, in the order of the list. Here are the reads and the
listening it asks for; the rules stay in games/core.py.

"""

import asyncio
import contextlib
import json

from redis.exceptions import RedisError

from games.core import apply
from games.exceptions import GameNotFound
from server.change_order import ChangeOrder
from server.connections import close_unavailable, in_background, local_connection
from server.redis_games.keys import channel, game_of_channel, log_key
from server.redis_games.records import roles, room_from_start

__all__ = ["Copies"]


class Copies:
    """Copies of the games held by this process's connections, and their orders."""

    def __init__(self, storage, deliver, let_computer_move):
        self.storage = storage
        self.deliver, self.let_computer_move = deliver, let_computer_move
        self.rooms = {}  # game ID -> Room, while connections here hold it
        self.holders = {}  # game ID -> how many of them
        self.loading = {}  # game ID -> the task that loads it
        self.orders = {}  # game ID -> its ChangeOrder, from the start of its load

    def add(self, room):
        """Hold a game created here: its start is applied."""
        self.rooms[room.number], self.holders[room.number] = room, 1
        self.orders[room.number] = ChangeOrder(applied=1)

    async def hold(self, game_id):
        """Return the copy of a game, loading it if needed; release() it."""
        room = self.rooms.get(game_id)
        if room is None:
            if game_id not in self.loading:
                self.orders[game_id] = ChangeOrder()
                self.loading[game_id] = asyncio.ensure_future(self.load(game_id))
            try:
                room = await asyncio.shield(self.loading[game_id])
            finally:
                self.loading.pop(game_id, None)
        self.holders[game_id] = self.holders.get(game_id, 0) + 1
        return room

    def release(self, room):
        """Let go of a copy; the last connection here to leave drops it."""
        holders = self.holders.get(room.number, 0) - 1
        if holders > 0:
            self.holders[room.number] = holders
        elif self.rooms.get(room.number) is room:
            del self.rooms[room.number], self.holders[room.number], self.orders[room.number]
            # Its channel goes at the next renewal.

    async def load(self, game_id):
        """Build a copy of a game from its changes in Redis, and follow its channel."""
        order = self.orders[game_id]
        try:
            # Subscribe first: a change published while the list is read is
            # then both in the list and heard, and the order applies it once.
            await self.storage.pubsub.subscribe(channel(game_id))
            ready = order.caught_up(0, await self.storage.redis.lrange(log_key(game_id), 0, -1))
            if self.orders.get(game_id) is not order:  # an outage meanwhile: it's deaf
                raise RedisError("lost the subscriber while loading a game")
            if not ready:
                raise GameNotFound("This game doesn't exist. It may have ended.")
        except BaseException:
            self.orders.pop(game_id, None)
            raise
        room = room_from_start(game_id, json.loads(ready[0]))
        self.apply(room, ready[1:])
        self.rooms[game_id] = room
        if order.needs_catch_up:
            in_background(self.catch_up_quietly(room))
        # The process that ran the computer's search may have died meanwhile.
        self.let_computer_move(room)
        return room

    def order_of(self, room):
        """The order of a copy's changes."""
        if self.rooms.get(room.number) is room:
            return self.orders[room.number]
        # A copy dropped already, still changed: a computer's move after its
        # opponent left, a departure after an outage. It follows no channel:
        # it starts where it stands, and catches up from the list.
        return ChangeOrder(applied=room.changes)

    def apply(self, room, changes):
        """Apply changes, JSON text, to a copy and deliver what they say."""
        for change in changes:
            self.deliver(room, apply(room, json.loads(change)))

    async def catch_up(self, room):
        """Apply the changes that Redis has and this copy of the game doesn't."""
        order = self.order_of(room)
        first = order.read_from()
        changes = await self.storage.redis.lrange(log_key(room.number), first, -1)
        self.apply(room, order.caught_up(first, changes))

    async def catch_up_quietly(self, room):
        """Catch up in the background; an outage is handled by the subscriber."""
        with contextlib.suppress(RedisError, OSError):
            await self.catch_up(room)

    async def heard(self, name, data):
        """Apply a change heard on a game's channel, or fill the gap before it."""
        game_id = game_of_channel(name)
        order = self.orders.get(game_id)
        if order is None:  # a copy dropped: its channel goes at the next renewal
            return
        if data is None:  # followed anew on another master: changes may have gone by
            if game_id in self.rooms:
                await self.catch_up(self.rooms[game_id])
            return
        index, _, change = data.partition(" ")
        ready = order.heard(int(index), change)
        room = self.rooms.get(game_id)
        if room is None:  # loading: the order holds it for load()
            return
        self.apply(room, ready)
        if order.needs_catch_up:
            await self.catch_up(room)

    def followed(self):
        """The channels of the games held or loading here."""
        return {channel(game_id) for game_id in (*self.rooms, *self.loading)}

    def send_away(self):
        """Close every connection here and drop every copy; return the seats of players here."""
        seated = []  # (game ID, role, connection) for each player here
        for room in self.rooms.values():
            for websocket in list(room.connected):
                in_background(close_unavailable(websocket))
            for role, seat in roles(room):
                if local_connection(seat) is not None:
                    seated.append((room.number, role, seat.connection))
        # Whatever was published meanwhile is lost: copies are built anew.
        self.rooms.clear()
        self.holders.clear()
        self.orders.clear()
        return seated
