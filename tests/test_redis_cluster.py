"""app.py on a real Redis Cluster: 3 masters, 3 replicas, a failover, a slot that moves."""

import asyncio
import hashlib
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conftest import DRAW, MS, RED_WINS, RED_WINS_DIAGONAL, assert_nothing_received, drain, receive, send


@pytest.fixture
def cluster_app(app_process, redis_cluster):
    """Start an app.py process sharing games through the test's Redis Cluster."""

    def start(*args):
        options = ("--no-http", "--redis", redis_cluster.url, "--computer-delay", "0")
        return app_process(*options, *args)

    return start


def game_id(cluster, key):
    """The ID of the game that a join or watch key opens, from its lookup key."""
    return cluster.get("c4:key:" + hashlib.sha256(key.encode()).hexdigest())


def master_of_game(cluster, key):
    """The port of the master that holds a game's list."""
    return cluster.master_of(f"c4:{{{game_id(cluster, key)}}}:log")


class View:
    """What one player or spectator sees of a game, reconnecting whenever sent away.

    ``moves`` is the columns of the play events received since the last
    connection, the replay included: each connection must see the game's
    moves from the first, each once, in order, and never fewer than before.

    """

    def __init__(self, uri, columns, **init):
        self.uri, self.columns, self.init = uri, columns, init
        self.websocket, self.moves, self.reconnections = None, [], 0

    async def open(self):
        """Connect, presenting the token or the watch key, until the server takes us."""
        seen = len(self.moves)
        deadline = time.monotonic() + 20_000 * MS
        while True:
            try:
                self.websocket = await connect(self.uri)
                await send(self.websocket, type="init", **self.init)
                replay = await drain(self.websocket)
                if replay and replay[0]["type"] != "error":
                    break
            except (ConnectionClosed, OSError):
                pass
            assert time.monotonic() < deadline, "the server never took the connection back"
            await asyncio.sleep(100 * MS)
        self.moves = []
        for event in replay:
            self.take(event)
        # Nothing acknowledged is lost: the replay holds every move seen before.
        assert len(self.moves) >= seen, (self.moves, seen)

    def take(self, event):
        """Take one event: a move must be the next of the game."""
        if event["type"] == "init":  # a player's seat: the token brings it back
            self.init, self.keys = {"token": event["token"]}, event
        elif event["type"] == "play":
            assert event["column"] == self.columns[len(self.moves)], (event, self.moves)
            self.moves.append(event["column"])
        elif event["type"] == "error":
            assert event["reason"] == "unavailable", event

    async def until(self, count, column=None):
        """Receive until count moves are seen; first play column, if given, when it's ours."""
        sent = False
        while len(self.moves) < count:
            if column is not None and not sent and len(self.moves) == count - 1:
                try:
                    await send(self.websocket, type="play", column=column)
                except ConnectionClosed:
                    pass
                sent = True
            try:
                self.take(await receive(self.websocket, timeout=20_000 * MS))
            except ConnectionClosed:
                self.reconnections += 1
                await self.open()
                sent = False


async def new_game(red_uri, yellow_uri, watch_uri, columns):
    """Seat red on one server, yellow on another, a spectator on a third; return their views."""
    red = View(red_uri, columns)
    await red.open()
    yellow = View(yellow_uri, columns, join=red.keys["join"])
    await yellow.open()
    spectator = View(watch_uri, columns, watch=red.keys["watch"])
    await spectator.open()
    # Red hears yellow arrive before the game starts.
    await drain(red.websocket, quiet=100 * MS)
    return red, yellow, spectator


async def play_game(views, pause=0, times=None):
    """Play the views' game, red first, each move seen by everyone before the next.

    ``times`` receives the time when each move was seen by everyone.

    """
    red, yellow, spectator = views
    for index, column in enumerate(red.columns):
        mover = yellow if index % 2 else red
        await mover.until(index + 1, column=column)
        for view in views:
            await view.until(index + 1)
        if times is not None:
            times.append(time.monotonic())
        await asyncio.sleep(pause)


async def test_games_on_every_shard_split_across_two_processes(cluster_app, redis_cluster):
    one, two = cluster_app(), cluster_app()
    games, masters = [], set()
    # Games land on random slots: open them until every master holds some.
    while len(masters) < 3:
        views = await new_game(one.uri, two.uri, two.uri, RED_WINS)
        games.append(views)
        masters.add(master_of_game(redis_cluster, views[0].keys["join"]))
        assert len(games) < 30
    await asyncio.gather(*(play_game(views) for views in games))
    for views in games:
        for view in views:
            assert view.moves == RED_WINS and view.reconnections == 0
            assert await receive(view.websocket) == {"type": "win", "player": "red"}
    assert "games are shared through the Redis Cluster" in one.log
    assert "Traceback" not in one.log + two.log


async def test_a_master_killed_mid_game_loses_no_move_and_games_go_on(
    cluster_app, redis_cluster
):
    one, two = cluster_app(), cluster_app()
    games = await asyncio.gather(
        *(
            new_game(one.uri, two.uri, (one, two)[number % 2].uri, RED_WINS_DIAGONAL)
            for number in range(20)
        )
    )
    masters = [master_of_game(redis_cluster, views[0].keys["join"]) for views in games]
    times = [[] for _ in games]
    playing = asyncio.gather(
        *(play_game(views, pause=200 * MS, times=each) for views, each in zip(games, times))
    )
    while min(len(each) for each in times) < 3 and not playing.done():
        await asyncio.sleep(10 * MS)
    # The master of the most games dies at once; its replica takes over.
    victim = max(set(masters), key=masters.count)
    redis_cluster.kill(victim)
    killed = time.monotonic()
    await asyncio.wait_for(playing, 120_000 * MS)
    for views, each in zip(games, times):
        # Every player and spectator saw every move, once and in order.
        for view in views:
            assert view.moves == RED_WINS_DIAGONAL
            assert await receive(view.websocket) == {"type": "win", "player": "red"}
        # The game moved again within 10 s of the kill.
        after = [moment for moment in each if moment > killed]
        assert not after or after[0] - killed < 10, after[0] - killed
    assert victim not in redis_cluster.masters()
    assert any(view.reconnections for views in games for view in views)
    assert "Traceback" not in one.log + two.log


def migrate_slot(cluster, key):
    """Move a key's slot's keys to another master, as redis-cli --cluster reshard does.

    Return that master's port and a function that gives it the slot.

    """
    source = cluster.master_of(key)
    target = next(port for port in cluster.masters() if port != source)
    slot = cluster.command(source, "CLUSTER", "KEYSLOT", key)
    source_id = cluster.command(source, "CLUSTER", "MYID")
    target_id = cluster.command(target, "CLUSTER", "MYID")
    cluster.command(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    cluster.command(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    keys = cluster.command(source, "CLUSTER", "GETKEYSINSLOT", slot, "100").split()
    cluster.command(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000", "KEYS", *keys)

    def finish():
        # The slot is the target's: the source unsubscribes the slot's channels.
        for port in (target, source, *cluster.masters()):
            cluster.command(port, "CLUSTER", "SETSLOT", slot, "NODE", target_id)

    return target, finish


async def test_a_slot_migrated_mid_game_loses_no_event_and_repeats_none(
    cluster_app, redis_cluster
):
    one, two = cluster_app(), cluster_app()
    red, yellow, spectator = views = await new_game(one.uri, two.uri, two.uri, DRAW)
    for index, column in enumerate(DRAW[:6]):
        await (yellow if index % 2 else red).until(index + 1, column=column)
    for view in views:
        await view.until(6)
    key = f"c4:{{{game_id(redis_cluster, red.keys['join'])}}}:log"
    target, finish = migrate_slot(redis_cluster, key)
    # The list is on the target, the slot still the source's: red's move
    # goes there by ASK, and is published where nobody listens yet.
    await red.until(7, column=DRAW[6])
    finish()
    assert redis_cluster.master_of(key) == target
    # Once the slot is the target's, the others follow the channel there and
    # catch up from the list.
    for view in views:
        await view.until(7)
    for index in range(7, len(DRAW)):
        await (yellow if index % 2 else red).until(index + 1, column=DRAW[index])
        for view in views:
            await view.until(index + 1)
    for view in views:
        assert view.moves == DRAW and view.reconnections == 0
        assert await receive(view.websocket) == {"type": "draw"}
        await assert_nothing_received(view.websocket)
    assert "Traceback" not in one.log + two.log


async def test_keys_expire_after_the_grace_period_on_every_shard(cluster_app, redis_cluster):
    one, two = cluster_app("--grace", f"{200 * MS}"), cluster_app("--grace", f"{200 * MS}")
    games, masters = [], set()
    while len(masters) < 3:
        views = await new_game(one.uri, two.uri, two.uri, RED_WINS)
        games.append(views)
        masters.add(master_of_game(redis_cluster, views[0].keys["join"]))
        assert len(games) < 30
    def games_keys():
        return [
            name
            for port in redis_cluster.masters()
            for name in redis_cluster.command(port, "--scan", "--pattern", "c4:[{k]*").split()
        ]

    for port in redis_cluster.masters():
        assert redis_cluster.command(port, "--scan", "--pattern", "c4:{*")  # a list on each
    for views in games:
        for view in views:
            await view.websocket.close()
    for _ in range(200):
        if not games_keys():
            break
        await asyncio.sleep(50 * MS)
    assert games_keys() == []
    for process in (one, two):
        process.stop()
    assert all(redis_cluster.command(port, "DBSIZE") == "0" for port in redis_cluster.masters())
