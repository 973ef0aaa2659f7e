"""Renewals: this process's lease, the keys of the games it holds, dead processes.

Every key expires unless a process with connections to its game renews it:
a game nobody comes back to leaves nothing behind. A process's lease exists
while it lives; a connection's id begins with its process's, so when a lease
expires, other processes free the seats of that process's players.

"""

import contextlib

from redis.exceptions import RedisError

from server.connections import PROCESS
from server.redis_games.keys import lease_key, log_key, lookup_key, room_keys, ttl_ms
from server.redis_games.records import roles

__all__ = ["renew_lease", "end_lease", "renew_games", "seats_of_dead_processes"]

# Games whose keys a renewal renews in one round trip.
RENEWED_AT_ONCE = 16


async def renew_lease(redis):
    """Tell other processes that this one lives, for a while."""
    await redis.set(lease_key(PROCESS), "", px=ttl_ms())


async def end_lease(redis):
    """Tell other processes that this one stopped, its players having said goodbye."""
    with contextlib.suppress(RedisError, OSError):
        await redis.delete(lease_key(PROCESS))


async def renew_games(redis, rooms):
    """Renew the expiry of the keys of each game in a list of rooms."""
    # A few games per round trip: one pipeline for every game would stall
    # this process's moves while it's written and read: up to 30 ms with
    # 200 games on the benchmark machine.
    for start in range(0, len(rooms), RENEWED_AT_ONCE):
        async with redis.pipeline(transaction=False) as pipe:
            for room in rooms[start : start + RENEWED_AT_ONCE]:
                pipe.pexpire(log_key(room.number), ttl_ms())
                for key in room_keys(room):
                    pipe.pexpire(lookup_key(key), ttl_ms())
            await pipe.execute()


async def seats_of_dead_processes(redis, rooms):
    """Return (game ID, role, connection) for players whose process died without a word."""
    # A process killed with SIGKILL, or on a machine that crashed, leaves
    # its players seated for everyone else: its lease expiring tells.
    seated = [
        (room.number, role, seat.connection)
        for room in rooms
        for role, seat in roles(room)
        if seat.connection is not None
        and not seat.connection.startswith(PROCESS + "/")
    ]
    processes = sorted({connection.partition("/")[0] for _, _, connection in seated})
    if not processes:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for process in processes:
            pipe.exists(lease_key(process))
        leases = dict(zip(processes, await pipe.execute()))
    return [each for each in seated if not leases[each[2].partition("/")[0]]]
