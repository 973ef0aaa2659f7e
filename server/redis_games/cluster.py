"""A Redis Cluster behind ``--redis``: finding it out, and sharded pub/sub.

When the URL names a node of a Redis Cluster, each game's list and channel
share its hash tag, so they live in one slot, on one master: the commit
script runs there and publishes with SPUBLISH, and this process follows the
channel with SSUBSCRIBE on that master. A move travels through one shard.

ShardedSubscriber follows each game's channel on the master of its slot,
one connection per master. When a slot moves to another master (resharding:
the old one unsubscribes its channels), it follows the channel there and
says so with a message without data, after which the game's copy catches
up from the list: what was published meanwhile went to the old master. When
a master is lost, it raises the error, which is an outage: the copies are
built anew once the cluster serves every slot again (connection.py).

"""

import asyncio
import contextlib
import logging

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import MovedError, RedisError

__all__ = ["is_cluster", "cluster_client", "ShardedSubscriber", "cluster_ready"]

log = logging.getLogger("connect4.redis")


async def is_cluster(client):
    """Whether the Redis that a client reaches is a node of a Redis Cluster."""
    return bool((await client.info("cluster")).get("cluster_enabled"))


def cluster_client(url, **options):
    """A client of the whole cluster, from the URL of one of its nodes."""
    # A cluster has one database: the URL's /0, if any, means nothing more.
    return RedisCluster.from_url(url, **options)


async def cluster_ready(cluster):
    """Learn the cluster's masters anew and check that each answers, else raise."""
    # During a failover the dead master still serves its slots for the
    # cluster, until its replica takes over: reaching every master says it's done.
    await cluster.nodes_manager.initialize()
    await cluster.ping(target_nodes=RedisCluster.PRIMARIES)


class ShardedSubscriber:
    """The games' channels, each followed with SSUBSCRIBE on the master of its slot."""

    def __init__(self, cluster, **options):
        self.cluster, self.options = cluster, options
        self.channels = {}  # channel -> name of the master it's followed on
        self.clients = {}  # master's name -> a client of that master alone
        self.pubsubs = {}  # master's name -> its PubSub
        self.connecting = {}  # master's name -> its PubSub's connection, once made
        self.readers = {}  # master's name -> the task reading its PubSub
        self.messages = asyncio.Queue()  # from every master, and errors

    async def connect(self):
        """Learn which master holds which slots."""
        await self.cluster.initialize()

    async def subscribe(self, *channels):
        """Follow channels, each on the master of its slot."""
        for name in channels:
            node = self.cluster.get_node_from_key(name)
            if node.name not in self.pubsubs:
                # Never reconnecting by itself: changes published while it was
                # away would be missed. Losing it is an outage.
                client = self.clients[node.name] = redis.Redis(
                    host=node.host, port=node.port, retry=Retry(NoBackoff(), 0), **self.options
                )
                self.pubsubs[node.name] = client.pubsub()
                # Connected once for all: subscriptions made at the same time
                # would each open a connection, all but one never read.
                self.connecting[node.name] = asyncio.ensure_future(
                    self.pubsubs[node.name].connect()
                )
            pubsub = self.pubsubs[node.name]
            await asyncio.shield(self.connecting[node.name])
            self.channels[name] = node.name
            await pubsub.ssubscribe(name)
            if node.name not in self.readers:  # reading needs a subscription first
                self.readers[node.name] = asyncio.create_task(self.read(node.name, pubsub))

    async def unsubscribe(self, *channels):
        """Stop following channels."""
        for name in channels:
            pubsub = self.pubsubs.get(self.channels.pop(name, None))
            if pubsub is not None:
                await pubsub.sunsubscribe(name)

    async def get_message(self, timeout=None):
        """Return the next message heard on any master; raise what broke a connection."""
        message = await self.messages.get()
        if isinstance(message, Exception):
            raise message
        return message

    async def read(self, node_name, pubsub):
        """Pass on the messages of one master; follow elsewhere the channels it lets go."""
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except MovedError:  # a channel followed where its slot has just left
                for name, followed_on in list(self.channels.items()):
                    if followed_on == node_name:
                        asyncio.ensure_future(self.moved(name))
                continue
            except (RedisError, OSError) as exc:
                self.messages.put_nowait(exc)
                return
            if message is None:
                continue
            if message["type"] == "smessage":
                self.messages.put_nowait(message)
            elif message["type"] == "sunsubscribe":
                # Not asked for: the channel's slot moved to another master.
                if self.channels.get(message["channel"]) == node_name:
                    asyncio.ensure_future(self.moved(message["channel"]))

    async def moved(self, name):
        """Follow a channel on the master that holds its slot now, then say so."""
        try:
            await asyncio.sleep(0.05)  # let the masters agree on the slot's new owner
            await self.cluster.nodes_manager.initialize()
            if name in self.channels:
                await self.subscribe(name)
                # Changes published meanwhile went elsewhere: the copy catches up.
                self.messages.put_nowait({"type": "moved", "channel": name, "data": None})
        except (RedisError, OSError) as exc:
            self.messages.put_nowait(exc)

    async def aclose(self):
        """Stop reading and disconnect from every master."""
        for task in self.readers.values():
            task.cancel()
        await asyncio.gather(*self.readers.values(), return_exceptions=True)
        for name, pubsub in self.pubsubs.items():
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
                await self.clients[name].aclose()
        self.readers.clear()
        self.pubsubs.clear()
        self.connecting.clear()
        self.clients.clear()
