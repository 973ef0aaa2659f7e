"""Committing changes: the Lua script that appends one, and batching them.

A process commits a change with APPEND, run by EVALSHA: one command per
move (bench/PERFORMANCE.md). Changes committed in the same turn of the event
loop go to Redis together, in one pipeline.

"""

import asyncio
import hashlib

from redis.exceptions import NoScriptError, RedisError

from server.connections import in_background
from server.redis_games.keys import log_key, ttl_ms

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


class Commits:
    """Changes waiting to be committed, sent to Redis together in one round trip."""

    def __init__(self, redis):
        self.redis = redis
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
        try:
            results = await self.run(arguments)
            # A new Redis, or one restarted, doesn't know the script yet.
            if any(isinstance(result, NoScriptError) for result in results):
                await self.redis.script_load(APPEND)
                results = await self.run(arguments)
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
        async with self.redis.pipeline(transaction=False) as pipe:
            for game_id, index, change in arguments:
                pipe.evalsha(APPEND_SHA, 1, log_key(game_id), index, change, ttl_ms())
            return await pipe.execute(raise_on_error=False)
