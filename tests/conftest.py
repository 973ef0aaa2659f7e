"""Fixtures shared by the tests: a real game server and real WebSocket clients."""

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

import app

ROOT = Path(__file__).resolve().parent.parent

# A full game without four in a row: it ends in a draw on the 42nd move.
DRAW = [5, 4, 5, 0, 6, 2, 4, 5, 5, 0, 4, 1, 1, 0, 4, 5, 6, 5, 3, 1, 1,
        2, 2, 6, 2, 6, 6, 3, 6, 2, 0, 3, 0, 3, 3, 4, 3, 1, 4, 2, 1, 0]  # fmt: skip

# Red drops four checkers in column 0 while yellow plays column 1.
RED_WINS = [0, 1, 0, 1, 0, 1, 0]


async def send(websocket, **event):
    """Send an event as JSON."""
    await websocket.send(json.dumps(event))


async def receive(websocket, timeout=2):
    """Receive the next event, failing the test if none comes in time."""
    return json.loads(await asyncio.wait_for(websocket.recv(), timeout))


async def assert_nothing_received(websocket, wait=0.05):
    """Check that the server sent nothing to this connection."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(websocket.recv(), wait)


@pytest.fixture(autouse=True)
def no_grace_period(monkeypatch):
    """Forget games and free seats as soon as their players leave, unless a test waits."""
    monkeypatch.setattr(app.LIMITS, "grace", 0)


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
        app.forget(room)
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
        """Play columns in turn, red first, and return the last move's event."""
        for index, column in enumerate(columns):
            event = await self.play("yellow" if index % 2 else "red", column)
        return event


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


class AppProcess:
    """`python app.py` running in a subprocess, on ephemeral loopback ports."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            # The page's port too: the default, 8000, may be serving a real game.
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", "0", "--http-port", "0"]
            + list(args),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        ports = re.search(r"(?:http://[^/]+:(\d+)/ .*)?port (\d+)", line)
        if not ports:
            self.process.kill()
            pytest.fail(f"unexpected first line {line!r}; {self.process.stderr.read()}")
        self.http_port = ports[1] and int(ports[1])
        self.websocket_port = int(ports[2])
        self.url = f"http://127.0.0.1:{self.http_port}/"
        self.uri = f"ws://127.0.0.1:{self.websocket_port}/"
        self.signalled = False

    def signal(self, signum=signal.SIGTERM):
        """Ask the server to stop, as systemd or Ctrl-C would."""
        self.signalled = True
        self.process.send_signal(signum)

    def stop(self, timeout=5):
        """Stop the server unless asked already; return its exit code and its log."""
        # A second signal during shutdown would kill the process instead.
        if not self.signalled:
            self.signal()
        _, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stderr


@pytest.fixture
def app_process():
    """Start `python app.py` with the given options; stopped after the test."""
    processes = []

    def start(*args):
        processes.append(AppProcess(*args))
        return processes[-1]

    yield start
    for process in processes:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()
