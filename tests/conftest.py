"""Fixtures shared by the tests: a real game server, real clients, a real Redis."""

import asyncio

import pytest
from websockets.asyncio.client import connect

import app

# Test files written before tests/utils.py import these from here: keep them.
from utils import (  # noqa: F401
    DRAW,
    MS,
    RED_WINS,
    RED_WINS_DIAGONAL,
    ROOT,
    YELLOW_WINS,
    AppProcess,
    RedisClusterServers,
    RedisServer,
    assert_nothing_received,
    drain,
    http_get,
    play_moves,
    receive,
    require_redis_cluster,
    require_redis_server,
    send,
)


@pytest.fixture(autouse=True)
def no_grace_period(monkeypatch):
    """Forget games and free seats as soon as their players leave, unless a test waits."""
    monkeypatch.setattr(app.LIMITS, "grace", 0)


@pytest.fixture(autouse=True)
def no_computer_delay(monkeypatch):
    """Let computer players move as soon as they know their move."""
    monkeypatch.setattr(app.LIMITS, "computer_delay", 0)


@pytest.fixture(autouse=True)
def no_client_limits(monkeypatch):
    """Let every test client, all on 127.0.0.1, start games and connect freely, unless a test limits them."""
    monkeypatch.setattr(app.LIMITS, "client_connections", 0)
    monkeypatch.setattr(app.LIMITS, "client_games", 0)


@pytest.fixture(scope="session", autouse=True)
def search_pool():
    """Stop the solver's worker processes, if a test started them, after the tests."""
    yield app.SEARCHES
    app.SEARCHES.close()


@pytest.fixture
async def server():
    """Run the game's WebSocket server on an ephemeral port on the loopback."""
    async with app.websocket_server("127.0.0.1", 0) as server:
        yield server
    # Every connection closed with the server, so every game must be gone
    # once the event loop runs the timers that forget them, or, when a test
    # gave players time to come back, be waiting for that timer.
    await asyncio.sleep(0)
    for room in list(app.JOIN.values()):
        assert not room.connected and room.expiry is not None
        room.expiry.cancel()
        app.GAMES.storage.forget(room)
    assert app.JOIN == {} and app.WATCH == {} and app.SEATS == {}


@pytest.fixture
def uri(server):
    """The address of the test server."""
    host, port = server.sockets[0].getsockname()[:2]
    return f"ws://{host}:{port}/"


@pytest.fixture
async def client(uri):
    """Open WebSocket clients to the test server, all closed after the test."""
    websockets = []

    async def open_client():
        websocket = await connect(uri)
        websockets.append(websocket)
        return websocket

    yield open_client
    for websocket in websockets:
        await websocket.close()


class Game:
    """The connections of one game: red, yellow and a spectator."""

    def __init__(self, red, yellow, spectator, join_key, watch_key):
        self.red, self.yellow, self.spectator = red, yellow, spectator
        self.join_key, self.watch_key = join_key, watch_key

    @property
    def everyone(self):
        return [self.red, self.yellow, self.spectator]

    async def play(self, player, column):
        """Play a move and return the event that everyone receives for it."""
        websocket = self.red if player == "red" else self.yellow
        await send(websocket, type="play", column=column)
        events = [await receive(websocket) for websocket in self.everyone]
        assert events[0] == events[1] == events[2], events
        return events[0]

    async def play_all(self, columns):
        """Play columns in turn, red first, with everyone hearing them (see play_moves)."""
        return await play_moves(self.red, self.yellow, columns, [self.spectator])


@pytest.fixture
async def game(client):
    """A game with red and yellow seated and a spectator watching."""
    red = await client()
    await send(red, type="init")
    init = await receive(red)
    yellow = await client()
    await send(yellow, type="init", join=init["join"])
    assert (await receive(yellow))["type"] == "init"
    assert await receive(yellow) == {"type": "joined", "player": "red"}
    assert await receive(red) == {"type": "joined", "player": "yellow"}
    spectator = await client()
    await send(spectator, type="init", watch=init["watch"])
    assert await receive(spectator) == {"type": "joined", "player": "red"}
    assert await receive(spectator) == {"type": "joined", "player": "yellow"}
    return Game(red, yellow, spectator, init["join"], init["watch"])


@pytest.fixture
def app_process():
    """Start `python app.py` with the given options; stopped after the test."""
    processes = []

    def start(*args, **kwargs):
        processes.append(AppProcess(*args, **kwargs))
        return processes[-1]

    yield start
    for process in processes:
        process.close()


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis for the test alone, stopped after it."""
    require_redis_server()
    server = RedisServer(tmp_path)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def redis_cluster(tmp_path):
    """A real Redis Cluster, 3 masters and 3 replicas, for the test alone, stopped after it."""
    require_redis_cluster()
    cluster = RedisClusterServers(tmp_path)
    yield cluster
    cluster.stop()
