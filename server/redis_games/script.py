"""Committing changes: the Lua script that appends one, and batching them.

A process commits a change with APPEND, run by EVALSHA: one command per
move (bench/PERFORMANCE.md). Changes committed in the same turn of the event
loop go to Redis together, in one pipeline: on a Redis Cluster, one per
master, each master's changes followed by WAIT for its replica.

"""

import asyncio
import hashlib
import logging

from redis.exceptions import NoScriptError, RedisError

from server.connections import in_background
from server.limits import LIMITS
from server.redis_games.keys import log_key, ttl_ms

log = logging.getLogger("connect4.redis")

__all__ = ["Commits"]

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
# On a Redis Cluster, the same with sharded pub/sub: the channel has the
# list's hash tag, so it's published on the master that holds the list.
APPEND_SHARDED = APPEND.replace("'PUBLISH'", "'SPUBLISH'")
APPEND_SHARDED_SHA = hashlib.sha1(APPEND_SHARDED.encode()).hexdigest()


class Commits:
    """Changes waiting to be committed, sent to Redis together in one round trip."""

    def __init__(self, storage):
        self.storage = storage
        self.waiting = []  # (arguments, future) of changes for the next round trip

    async def commit(self, game_id, index, change):
        """Run APPEND for a change, JSON text, at an index; return its result."""
        # Changes made at the same time, in the same turn of the event loop,
        # go to Redis together in one pipeline: one write, one read and one
        # connection for them all. Under load, that halves this process's
        # CPU time per move (bench/PERFORMANCE.md).
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(((game_id, index, change), future))
        if len(self.waiting) == 1:
            in_background(self.send())
        return await future

    async def send(self):
        """Send the changes waiting to be committed in one round trip."""
        waiting, self.waiting = self.waiting, []
        arguments = [each for each, _ in waiting]
        script = APPEND_SHARDED if self.storage.sharded else APPEND
        try:
            results = await self.run(arguments)
            # A new Redis, or one restarted, or a replica that took over,
            # doesn't know the script yet: run again what it refused.
            unknown = [i for i, each in enumerate(results) if isinstance(each, NoScriptError)]
            if unknown:
                await self.storage.redis.script_load(script)
                again = await self.run([arguments[i] for i in unknown])
                for i, result in zip(unknown, again):
                    results[i] = result
        except (RedisError, OSError) as exc:
            results = [exc] * len(waiting)
        for (_, future), result in zip(waiting, results):
            if future.done():  # cancelled: its client went away
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def run(self, arguments):
        """Run APPEND for each change in one pipeline; return each result or error."""
        redis, sharded = self.storage.redis, self.storage.sharded
        async with redis.pipeline(transaction=False) as pipe:
            for game_id, index, change in arguments:
                sha = APPEND_SHARDED_SHA if sharded else APPEND_SHA
                pipe.evalsha(sha, 1, log_key(game_id), index, change, ttl_ms())
            masters = masters_with_replicas(redis, arguments) if sharded else []
            for master in masters:
                # On the connection that committed: WAIT counts the replicas
                # that have this connection's writes.
                wait_ms = int(LIMITS.replica_wait * 1000)
                pipe.execute_command("WAIT", 1, wait_ms, target_nodes=master)
            results = await pipe.execute(raise_on_error=False)
        if any(replicas == 0 for replicas in results[len(arguments) :]):
            log.warning("a change is acknowledged before a replica has it")
        return results[: len(arguments)]


def masters_with_replicas(cluster, arguments):
    """The masters that hold the lists of these changes and have a replica, if WAIT is on."""
    if LIMITS.replica_wait <= 0:
        return []
    masters = {}
    for game_id, _, _ in arguments:
        # The master first, then its replicas that the cluster doesn't see failed.
        nodes = cluster.nodes_manager.slots_cache.get(cluster.keyslot(log_key(game_id)), [])
        if len(nodes) > 1:
            masters[nodes[0].name] = nodes[0]
    return list(masters.values())
