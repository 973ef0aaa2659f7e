"""SharedGames: what app.py asks of the games, answered with Redis.

create(), find(), change() and release(), as games/memory.py's LocalGames
offers them, over the parts of this package: Storage for the connections,
Commits for the script, Copies for the copies of games and their order,
renewals for expiry and dead processes.

"""

import asyncio
import contextlib
import functools
import json
import secrets

from redis.exceptions import RedisError

from games.core import departure
from games.exceptions import GameNotFound, InvalidEvent, ServerFull, Unavailable
from server.connections import in_background
from server.limits import LIMITS
from server.redis_games import renewals
from server.redis_games.connection import Storage
from server.redis_games.copies import Copies
from server.redis_games.keys import channel, lookup_key, renewal
from server.redis_games.records import index_token, store_new_game
from server.redis_games.script import Commits

__all__ = ["SharedGames"]

# A change checked again after catching up can only conflict again if yet
# another change came first, each time: a few tries are plenty.
TRIES = 5


class SharedGames:
    """Games in Redis, shared with every process that uses the same Redis.

    ``deliver(room, outputs)`` sends what applying a change returns to this
    process's connections; ``let_computer_move(room)`` has a computer play if
    it is to move in a game just loaded.

    """

    def __init__(self, url, deliver, let_computer_move):
        self.storage = Storage(url)
        self.commits = Commits(self.storage)
        self.copies = Copies(self.storage, deliver, let_computer_move)
        self.tasks = []

    async def open(self):
        """Connect to Redis, or raise StorageUnreachable, and start listening."""
        await self.storage.open(renewals.renew_lease)
        self.tasks = [asyncio.create_task(self.listen()), asyncio.create_task(self.renew())]

    async def close(self):
        """Stop listening and disconnect."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.tasks:  # it opened: its players said goodbye, its lease can go
            await renewals.end_lease(self.storage.redis)
        await self.storage.close()

    async def create(self, room):
        """Store a new game and make it findable by its keys and its host's token."""
        if len(self.copies.rooms) >= LIMITS.games:
            raise ServerFull("The server has as many games as it can hold. Try again later.")
        room.number = secrets.token_hex(8)
        room.changes = 1  # its start, as the order counts it
        # Held from the start, so that renew() keeps following its channel.
        self.copies.add(room)
        try:
            async with self.storage.use():
                await self.storage.pubsub.subscribe(channel(room.number))
                await store_new_game(self.storage.redis, room)
        except BaseException:
            self.release(room)
            raise

    async def find(self, kind, key):
        """Return the room that a join key, watch key or seat token opens."""
        # The key comes from the client: it may be any JSON value.
        async with self.storage.use():
            redis = self.storage.redis
            game_id = await redis.get(lookup_key(key)) if isinstance(key, str) else None
            if game_id is None:
                raise GameNotFound("This game doesn't exist. It may have ended.")
            return await self.copies.hold(game_id)

    async def change(self, room, decide):
        """Check a change against the game, commit it in Redis, and apply it."""
        for _ in range(TRIES):
            order = self.copies.order_of(room)
            change, index = decide(room), order.read_from()
            old_token = room.guest.token if "token" in change and room.guest is not None else None
            text, redis = json.dumps(change), self.storage.redis
            async with self.storage.use():
                committed = await self.commits.commit(room.number, index, text)
                if committed == index:
                    # Unless the subscriber heard it first and applied it.
                    self.copies.apply(room, order.heard(index, text))
                    if "token" in change:  # a guest is seated: its token opens the seat
                        await index_token(redis, room.number, change["token"], old_token)
                    return
                if committed < 0:
                    raise GameNotFound("This game doesn't exist. It may have ended.")
                await self.copies.catch_up(room)
        raise Unavailable("The game is changing too fast. Try again.")

    def release(self, room):
        """Let go of a room; the last connection here to leave drops the copy."""
        self.copies.release(room)

    async def listen(self):
        """Apply every change heard on the games' channels, in order, none twice."""
        while True:
            try:
                message = await self.storage.pubsub.get_message(timeout=None)
                if message is not None:
                    await self.copies.heard(message["channel"], message["data"])
            except (RedisError, OSError):
                await self.outage()

    async def renew(self):
        """Keep this process's lease and its games alive; free the seats of dead processes."""
        while True:
            await asyncio.sleep(renewal())
            with contextlib.suppress(RedisError, OSError):
                redis, pubsub = self.storage.redis, self.storage.pubsub
                await renewals.renew_lease(redis)
                await renewals.renew_games(redis, list(self.copies.rooms.values()))
                dead = await renewals.seats_of_dead_processes(redis, self.copies.rooms.values())
                for seat in dead:
                    in_background(self.depart(*seat))
                followed = self.copies.followed()
                unused = [name for name in pubsub.channels if name not in followed]
                if unused:
                    await pubsub.unsubscribe(*unused)

    async def outage(self):
        """Tell every client here that the games are unavailable, then wait for Redis."""
        seated = self.copies.send_away()
        await self.storage.reconnect()
        # Those players' departures couldn't be committed: other processes
        # still see them seated. Commit them now, unless they're back already.
        for seat in seated:
            in_background(self.depart(*seat))

    async def depart(self, game_id, role, connection):
        """Free a seat whose connection is gone without a word, unless it's back."""
        with contextlib.suppress(InvalidEvent, Unavailable):
            async with self.storage.use():
                room = await self.copies.hold(game_id)
            try:
                await self.change(room, functools.partial(departure, role, connection))
            finally:
                self.release(room)
