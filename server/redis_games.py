"""Games shared by several app.py processes through Redis: ``app.py --redis URL``.

Redis holds each game as the list of its changes, in order: its start, then
every arrival, departure, move and rematch request (games/core.py's apply()
says what each does). A process checks a change against its copy of the
game, then commits it with a script that appends it only if the list still has
the length the process checked against, and publishes it on the game's channel.
Of two processes that accept conflicting changes at the same instant, exactly
one commits; the other catches up and checks its change again, which now
fails with the reason a client should hear ("It isn't your turn").

Every process holds a copy of the games its connections are in, subscribed
to their channels, and applies each change it hears, in the order of the
list, none twice: each published change carries its index in the list, and a
gap is filled from the list. The rules stay in connect4.py, run by each
process on its copy: Redis only keeps the order.

A game's keys, and its channel, share the hash tag {ID}, so that they live in
one Redis Cluster slot and its channel can move to sharded pub/sub
(SPUBLISH/SSUBSCRIBE) without a redesign:

    c4:{ID}:log   list of the game's changes, JSON, the first being its start
    c4:{ID}       channel: "INDEX CHANGE" for each change committed
    c4:key:HASH   the game's ID, for a join key, watch key or seat token,
                  under its SHA-256: the keys are secrets, key names are not
    c4:process:P  exists while process P lives: a connection's id begins
                  with its process's, so others can free its players' seats
                  when it dies without a word (SIGKILL, a crashed machine)

Every key expires after the grace period, plus a margin, unless a process
with connections to the game renews it: a game nobody comes back to leaves
nothing behind.

"""

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import secrets
import urllib.parse

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import NoScriptError, RedisError

from games.core import Room, Seat, apply, departure
from games.exceptions import GameNotFound, InvalidEvent, ServerFull, Unavailable
from games.exceptions import StorageUnreachable
from server.connections import PROCESS, close_unavailable, in_background, local_connection
from server.limits import LIMITS

__all__ = ["SharedGames"]

log = logging.getLogger("connect4.redis")

# Appends a change to a game's list if the list still has the length that the
# process checked the change against (ARGV[1]), renews the list's expiry and
# publishes the change with its index, all at once. Returns that index when it
# committed, the list's length when another change came first, -1 when the
# game is gone.
APPEND = """
local length = redis.call('LLEN', KEYS[1])
if length == 0 then
    return -1
end
if length ~= tonumber(ARGV[1]) then
    return length
end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
-- The game's channel is its list's key without ':log'.
redis.call('PUBLISH', string.sub(KEYS[1], 1, -5), length .. ' ' .. ARGV[2])
return length
"""
APPEND_SHA = hashlib.sha1(APPEND.encode()).hexdigest()  # EVALSHA's name for it

# A change checked again after catching up can only conflict again if yet
# another change came first, each time: a few tries are plenty.
TRIES = 5

# Connections to Redis for commands, at most: Redis runs one command at a
# time, so more would only cost memory and file descriptors.
POOL_SIZE = 50

# Games whose keys a renewal renews in one round trip.
RENEWED_AT_ONCE = 16

# While the storage is away, try to reach it again after 0.1 s, 0.2 s, 0.4 s…
# up to this many seconds between attempts.
MAX_BACKOFF = 5.0


def log_key(game_id):
    """The list of a game's changes."""
    return f"c4:{{{game_id}}}:log"


def channel(game_id):
    """The channel where a game's changes are published."""
    return f"c4:{{{game_id}}}"


def lease_key(process):
    """Exists while a process is alive: it renews it, else it expires."""
    return f"c4:process:{process}"


def lookup_key(key):
    """The Redis key that finds a game by one of its secrets."""
    return "c4:key:" + hashlib.sha256(key.encode()).hexdigest()


def redacted(url):
    """The Redis URL without its password, fit for a log."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username or ''}:***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + netloc))


class SharedGames:
    """Games in Redis, shared with every process that uses the same Redis.

    ``deliver(room, outputs)`` sends what applying a change returns to this
    process's connections; ``let_computer_move(room)`` has a computer play if
    it is to move in a game just loaded.

    """

    def __init__(self, url, deliver, let_computer_move):
        self.url, self.deliver, self.let_computer_move = url, deliver, let_computer_move
        # Fail fast, so that clients hear of an outage within a second or two.
        options = dict(decode_responses=True, socket_connect_timeout=2, socket_timeout=5)
        # Commands beyond POOL_SIZE at once wait for a connection: redis-py's
        # default pool refuses them with "Too many connections" instead.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=5,
            retry=Retry(ExponentialBackoff(0.5, 0.05), 2),
            **options,
        )
        self.redis = redis.Redis.from_pool(pool)
        # The subscriber never reconnects by itself: changes published while it
        # was away would be lost. Losing it is an outage (see outage()).
        self.subscriber = redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)
        self.appends = []  # (arguments, future) of changes for the next round trip
        self.rooms = {}  # game ID -> Room, while connections here hold it
        self.holders = {}  # game ID -> how many of them
        self.loading = {}  # game ID -> the task that loads it
        self.missed = set()  # IDs of games that changed while they loaded
        self.pubsub = None
        self.available = True  # False from losing the subscriber to its return
        self.tasks = []

    # Starting and stopping.

    async def open(self):
        """Connect to Redis, or raise StorageUnreachable, and start listening."""
        try:
            await self.redis.set(lease_key(PROCESS), "", px=self.ttl_ms)
            await self.subscribe_anew()
        except (RedisError, OSError) as exc:
            await self.close()
            raise StorageUnreachable(
                f"can't reach Redis at {redacted(self.url)}: {exc}"
            ) from None
        log.info("games are shared through Redis at %s", redacted(self.url))
        self.tasks = [asyncio.create_task(self.listen()), asyncio.create_task(self.renew())]

    async def close(self):
        """Stop listening and disconnect."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.tasks:  # it opened: its players said goodbye, its lease can go
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(lease_key(PROCESS))
        if self.pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.pubsub.aclose()
        await self.subscriber.aclose()
        await self.redis.aclose()

    async def subscribe_anew(self):
        """Open the connection that receives the games' changes."""
        if self.pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.pubsub.aclose()
        self.pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        await self.pubsub.connect()

    # What app.py asks of GAMES.

    async def create(self, room):
        """Store a new game and make it findable by its keys and its host's token."""
        if len(self.rooms) >= LIMITS.games:
            raise ServerFull(
                "The server has as many games as it can hold. Try again later."
            )
        room.number = game_id = secrets.token_hex(8)
        room.changes = 1  # its start
        start = {"join": room.join_key, "watch": room.watch_key, "host": seat_record(room.host)}
        if room.guest is not None:
            start["guest"] = seat_record(room.guest)
        # Held from the start, so that renew() keeps following its channel.
        self.rooms[game_id], self.holders[game_id] = room, 1
        try:
            async with self.storage():
                await self.pubsub.subscribe(channel(game_id))
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.rpush(log_key(game_id), json.dumps(start))
                    pipe.pexpire(log_key(game_id), self.ttl_ms)
                    for key in (room.join_key, room.watch_key, room.host.token):
                        pipe.set(lookup_key(key), game_id, px=self.ttl_ms)
                    await pipe.execute()
        except BaseException:
            self.release(room)
            raise

    async def find(self, kind, key):
        """Return the room that a join key, watch key or seat token opens."""
        # The key comes from the client: it may be any JSON value.
        async with self.storage():
            game_id = await self.redis.get(lookup_key(key)) if isinstance(key, str) else None
            if game_id is None:
                raise GameNotFound("This game doesn't exist. It may have ended.")
            return await self.hold(game_id)

    async def change(self, room, decide):
        """Check a change against the game, commit it in Redis, and apply it."""
        for _ in range(TRIES):
            change, index = decide(room), room.changes
            old_token = room.guest.token if "token" in change and room.guest is not None else None
            async with self.storage():
                committed = await self.commit(room.number, index, json.dumps(change))
                if committed == index:
                    if room.changes == index:  # else the subscriber applied it already
                        self.deliver(room, apply(room, change))
                    if "token" in change:  # a guest is seated: its token opens the seat
                        await self.index_token(room.number, change["token"], old_token)
                    return
                if committed < 0:
                    raise GameNotFound("This game doesn't exist. It may have ended.")
                await self.catch_up(room)
        raise Unavailable("The game is changing too fast. Try again.")

    async def commit(self, game_id, index, change):
        """Run APPEND for a change; return its result."""
        # Changes made at the same time, in the same turn of the event loop,
        # go to Redis together in one pipeline: one write, one read and one
        # connection for them all. Under load, that halves this process's
        # CPU time per move (bench/PERFORMANCE.md).
        future = asyncio.get_running_loop().create_future()
        self.appends.append(((game_id, index, change), future))
        if len(self.appends) == 1:
            in_background(self.send_appends())
        return await future

    async def send_appends(self):
        """Send the changes waiting to be committed in one round trip."""
        appends, self.appends = self.appends, []
        arguments = [each for each, _ in appends]
        try:
            results = await self.run_appends(arguments)
            # A new Redis, or one restarted, doesn't know the script yet.
            if any(isinstance(result, NoScriptError) for result in results):
                await self.redis.script_load(APPEND)
                results = await self.run_appends(arguments)
        except (RedisError, OSError) as exc:
            results = [exc] * len(appends)
        for (_, future), result in zip(appends, results):
            if future.done():  # cancelled: its client went away
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def run_appends(self, appends):
        """Run APPEND for each change in one pipeline; return each result or error."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for game_id, index, change in appends:
                pipe.evalsha(APPEND_SHA, 1, log_key(game_id), index, change, self.ttl_ms)
            return await pipe.execute(raise_on_error=False)

    def release(self, room):
        """Let go of a room; the last connection here to leave drops the copy."""
        holders = self.holders.get(room.number, 0) - 1
        if holders > 0:
            self.holders[room.number] = holders
        elif self.rooms.get(room.number) is room:
            del self.rooms[room.number], self.holders[room.number]
            # Its channel goes at the next renewal: see renew().

    # Keeping copies of the games up to date.

    async def hold(self, game_id):
        """Return this process's copy of a game, loading it if needed; release() it."""
        room = self.rooms.get(game_id)
        if room is None:
            if game_id not in self.loading:
                self.loading[game_id] = asyncio.ensure_future(self.load(game_id))
            try:
                room = await asyncio.shield(self.loading[game_id])
            finally:
                self.loading.pop(game_id, None)
        self.holders[game_id] = self.holders.get(game_id, 0) + 1
        return room

    async def load(self, game_id):
        """Build a copy of a game from its changes in Redis, and follow its channel."""
        # Subscribe first: a change published while the list is read is
        # then both in the list and heard, and heard ones already known are dropped.
        await self.pubsub.subscribe(channel(game_id))
        start, *changes = await self.redis.lrange(log_key(game_id), 0, -1) or [None]
        if start is None:
            raise GameNotFound("This game doesn't exist. It may have ended.")
        room = room_from_start(game_id, json.loads(start))
        for change in changes:
            self.deliver(room, apply(room, json.loads(change)))
        self.rooms[game_id] = room
        if game_id in self.missed:
            self.missed.discard(game_id)
            in_background(self.catch_up_quietly(room))
        # The process that ran the computer's search may have died meanwhile.
        self.let_computer_move(room)
        return room

    async def catch_up(self, room):
        """Apply the changes that Redis has and this copy of the game doesn't."""
        first = room.changes
        changes = await self.redis.lrange(log_key(room.number), first, -1)
        for index, change in enumerate(changes, first):
            if index == room.changes:  # the subscriber may have applied some meanwhile
                self.deliver(room, apply(room, json.loads(change)))

    async def catch_up_quietly(self, room):
        """Catch up in the background; an outage is handled by the subscriber."""
        with contextlib.suppress(RedisError, OSError):
            await self.catch_up(room)

    async def listen(self):
        """Apply every change heard on the games' channels, in order, none twice."""
        while True:
            try:
                message = await self.pubsub.get_message(timeout=None)
                if message is not None:
                    await self.heard(message["channel"], message["data"])
            except (RedisError, OSError):
                await self.outage()

    async def heard(self, name, data):
        """Apply a change heard on a game's channel, or fill the gap before it."""
        game_id = name[len("c4:{") : -1]
        index, _, change = data.partition(" ")
        room = self.rooms.get(game_id)
        if room is None:
            if game_id in self.loading:
                self.missed.add(game_id)  # load() reads the list again
            return
        if int(index) == room.changes:
            self.deliver(room, apply(room, json.loads(change)))
        elif int(index) > room.changes:
            await self.catch_up(room)

    async def renew(self):
        """Keep this process's lease and its games alive; free the seats of dead processes."""
        while True:
            await asyncio.sleep(self.renewal)
            with contextlib.suppress(RedisError, OSError):
                await self.redis.set(lease_key(PROCESS), "", px=self.ttl_ms)
                rooms = list(self.rooms.values())
                # A few games per round trip: one pipeline for every game
                # would stall this process's moves while it's written and
                # read: up to 30 ms with 200 games on the benchmark machine.
                for start in range(0, len(rooms), RENEWED_AT_ONCE):
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for room in rooms[start : start + RENEWED_AT_ONCE]:
                            pipe.pexpire(log_key(room.number), self.ttl_ms)
                            for key in room_keys(room):
                                pipe.pexpire(lookup_key(key), self.ttl_ms)
                        await pipe.execute()
                await self.free_seats_of_dead_processes()
                followed = {channel(game_id) for game_id in (*self.rooms, *self.loading)}
                unused = [name for name in self.pubsub.channels if name not in followed]
                if unused:
                    await self.pubsub.unsubscribe(*unused)

    async def free_seats_of_dead_processes(self):
        """Commit the departure of players whose process died without saying so."""
        # A process killed with SIGKILL, or on a machine that crashed, leaves
        # its players seated for everyone else: its lease expiring tells.
        seated = [
            (room.number, role, seat.connection)
            for room in self.rooms.values()
            for role, seat in (("host", room.host), ("guest", room.guest))
            if seat is not None
            and seat.connection is not None
            and not seat.connection.startswith(PROCESS + "/")
        ]
        processes = sorted({connection.partition("/")[0] for _, _, connection in seated})
        if not processes:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for process in processes:
                pipe.exists(lease_key(process))
            leases = dict(zip(processes, await pipe.execute()))
        for game_id, role, connection in seated:
            if not leases[connection.partition("/")[0]]:
                in_background(self.depart(game_id, role, connection))

    async def outage(self):
        """Tell every client here that the games are unavailable, then wait for Redis."""
        log.warning("lost Redis at %s: clients are told to come back later", redacted(self.url))
        # Until the subscriber is back, a copy of a game would miss changes.
        self.available = False
        seated = []  # (game ID, seat, connection) for each player here
        for room in self.rooms.values():
            for websocket in list(room.connected):
                in_background(close_unavailable(websocket))
            for role, seat in (("host", room.host), ("guest", room.guest)):
                if seat is not None and local_connection(seat) is not None:
                    seated.append((room.number, role, seat.connection))
        # Whatever was published meanwhile is lost: copies are built anew.
        self.rooms.clear()
        self.holders.clear()
        backoff = 0.1
        while True:
            await asyncio.sleep(backoff)
            try:
                await self.redis.ping()
                await self.subscribe_anew()
                break
            except (RedisError, OSError):
                backoff = min(backoff * 2, MAX_BACKOFF)
        self.available = True
        log.warning("Redis is back at %s", redacted(self.url))
        # Those players' departures couldn't be committed: other processes
        # still see them seated. Commit them now, unless they're back already.
        for game_id, role, connection in seated:
            in_background(self.depart(game_id, role, connection))

    async def depart(self, game_id, role, connection):
        """Free a seat whose connection was closed during an outage, unless it's back."""
        with contextlib.suppress(InvalidEvent, Unavailable):
            async with self.storage():
                room = await self.hold(game_id)
            try:
                await self.change(room, functools.partial(departure, role, connection))
            finally:
                self.release(room)

    async def index_token(self, game_id, token, old_token):
        """Make a new guest's token find the game, and the previous guest's not."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(lookup_key(token), game_id, px=self.ttl_ms)
            if old_token is not None:
                pipe.delete(lookup_key(old_token))
            await pipe.execute()

    @contextlib.asynccontextmanager
    async def storage(self):
        """Turn a Redis error into Unavailable, which sends the client away to retry."""
        try:
            if not self.available:
                raise RedisError("the subscriber is reconnecting")
            yield
        except (RedisError, OSError) as exc:
            log.debug("Redis error: %s", exc)
            raise Unavailable(
                "The server can't reach its games right now. Retrying…"
            ) from None

    @property
    def renewal(self):
        """Seconds between renewals of the games' expiry."""
        return min(5.0, max(0.2, LIMITS.grace / 4))

    @property
    def ttl_ms(self):
        """How long a game outlives the last renewal: the grace period and a margin."""
        return int((LIMITS.grace + 3 * self.renewal) * 1000)


def seat_record(seat):
    """What Redis keeps of a seat when the game starts."""
    return {"player": seat.player, "token": seat.token, "computer": seat.computer}


def room_from_start(game_id, start):
    """A copy of a game as it started, from the first entry of its list."""
    host = Seat(**start["host"])
    guest = Seat(**start["guest"]) if "guest" in start else None
    return Room(start["join"], start["watch"], host, guest, number=game_id, changes=1)


def room_keys(room):
    """The secrets that find a game: its keys and its players' tokens."""
    keys = [room.join_key, room.watch_key]
    keys += [seat.token for seat in room.seats if seat.computer is None]
    return keys
