"""app.py on a real Redis Cluster: 3 masters, 3 replicas, a failover, a slot that moves."""

import asyncio
import hashlib
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conftest import MS, RED_WINS, RED_WINS_DIAGONAL, receive, send


@pytest.fixture
def cluster_app(app_process, redis_cluster):
    """Start an app.py process sharing games through the test's Redis Cluster."""

    def start(*args):
        return app_process("--no-http", "--redis", redis_cluster.url, "--computer-delay", "0", *args)

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


async def drain(websocket, quiet=300 * MS):
    """Receive events until none comes for a while; return them."""
    events = []
    while True:
        try:
            events.append(await receive(websocket, timeout=quiet))
        except TimeoutError:
            return events


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


async def play_game(views, start=0, pause=0):
    """Play the rest of the views' game, red first, each move seen by everyone before the next."""
    red, yellow, spectator = views
    for index in range(start, len(red.columns)):
        mover = yellow if index % 2 else red
        await mover.until(index + 1, column=red.columns[index])
        for view in views:
            await view.until(index + 1)
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
