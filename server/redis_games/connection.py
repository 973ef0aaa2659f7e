"""The connections to Redis: a pool for commands, a subscriber, and outages.

Redis is out of reach when the subscriber is lost: changes published while
it was away would be missed, so until it's back every use of Redis fails
with Unavailable, which sends the client away to retry, and the connection
comes back with an exponential backoff.

"""

import asyncio
import contextlib
import logging

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from games.exceptions import StorageUnreachable, Unavailable
from server.redis_games.cluster import (
    ShardedSubscriber,
    cluster_client,
    cluster_ready,
    is_cluster,
)
from server.redis_games.keys import redacted

__all__ = ["Storage"]

log = logging.getLogger("connect4.redis")

# Connections to Redis for commands, at most: Redis runs one command at a
# time, so more would only cost memory and file descriptors.
POOL_SIZE = 50

# While the storage is away, try to reach it again after 0.1 s, 0.2 s, 0.4 s…
# up to this many seconds between attempts.
MAX_BACKOFF = 5.0
# On a cluster, a lost master is replaced by its replica within seconds:
# trying every half second finds the new one soon after.
CLUSTER_MAX_BACKOFF = 0.5


class Storage:
    """Redis: ``redis`` runs commands, ``pubsub`` receives the games' changes.

    A Redis Cluster is found out at open(): ``sharded`` is then true, ``redis``
    a client of the whole cluster and ``pubsub`` a ShardedSubscriber.

    """

    def __init__(self, url):
        self.url = url
        # Fail fast, so that clients hear of an outage within a second or two.
        options = dict(decode_responses=True, socket_connect_timeout=2, socket_timeout=5)
        self.options, self.sharded = options, False
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
        # was away would be lost. Losing it is an outage (see reconnect()).
        self.subscriber = redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)
        self.pubsub = None
        self.available = True  # False from losing the subscriber to its return

    async def open(self, first_command):
        """Run a first command and start receiving changes, or raise StorageUnreachable."""
        try:
            if await is_cluster(self.redis):
                await self.use_cluster()
            await first_command(self.redis)
            await self.subscribe_anew()
        except (RedisError, OSError) as exc:
            await self.close()
            raise StorageUnreachable(
                f"can't reach Redis at {redacted(self.url)}: {exc}"
            ) from None
        kind = "the Redis Cluster" if self.sharded else "Redis"
        log.info("games are shared through %s at %s", kind, redacted(self.url))

    async def use_cluster(self):
        """Use the Redis Cluster that the URL's node belongs to."""
        await self.redis.aclose()
        self.redis = cluster_client(self.url, **self.options)
        await self.redis.initialize()
        self.sharded = True

    async def close(self):
        """Disconnect."""
        await self.close_pubsub()
        await self.subscriber.aclose()
        await self.redis.aclose()

    async def subscribe_anew(self):
        """Open the connection that receives the games' changes."""
        await self.close_pubsub()
        if self.sharded:
            self.pubsub = ShardedSubscriber(self.redis, **self.options)
        else:
            self.pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        await self.pubsub.connect()

    async def close_pubsub(self):
        """Close the connection that receives the games' changes, if any."""
        if self.pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.pubsub.aclose()

    async def reconnect(self):
        """Refuse every use of Redis until both its connections are back."""
        log.warning("lost Redis at %s: clients are told to come back later", redacted(self.url))
        # Until the subscriber is back, a copy of a game would miss changes.
        self.available = False
        backoff, max_backoff = 0.1, CLUSTER_MAX_BACKOFF if self.sharded else MAX_BACKOFF
        while True:
            await asyncio.sleep(backoff)
            try:
                await (cluster_ready(self.redis) if self.sharded else self.redis.ping())
                await self.subscribe_anew()
                break
            except (RedisError, OSError):
                backoff = min(backoff * 2, max_backoff)
        self.available = True
        log.warning("Redis is back at %s", redacted(self.url))

    @contextlib.asynccontextmanager
    async def use(self):
        """Use Redis; turn its errors into Unavailable, which sends the client away to retry."""
        try:
            if not self.available:
                raise RedisError("the subscriber is reconnecting")
            yield
        except (RedisError, OSError) as exc:
            log.debug("Redis error: %s", exc)
            raise Unavailable(
                "The server can't reach its games right now. Retrying…"
            ) from None
