"""This process's connections in seats, and sending to connections without waiting.

app.py and server/redis_games/ share these: a seat holds a connection's
id, which begins with its process's, so that processes sharing games tell
whose connection it is.

"""

import asyncio
import secrets

from websockets.asyncio.server import broadcast
from websockets.frames import CloseCode

from games.events import error_event
from games.exceptions import Unavailable

__all__ = [
    "CONNECTIONS",
    "PROCESS",
    "connection_id",
    "local_connection",
    "send_now",
    "in_background",
    "close_unavailable",
]

CONNECTIONS = {}  # connection id -> this process's connections in a seat
# Begins each connection id, so that processes sharing games tell whose it is.
PROCESS = secrets.token_hex(4)


def connection_id(websocket):
    """The id that a seat holds for a connection of this process."""
    return f"{PROCESS}/{websocket.id}"


def local_connection(seat):
    """The connection in a seat, if it is one of this process's."""
    return CONNECTIONS.get(seat.connection) if seat.connection is not None else None


def send_now(websocket, message):
    """Send a message without yielding to the event loop, unlike websocket.send()."""
    # Events sent this way reach the client in the order the server decided
    # them: no other coroutine runs in between.
    if not websocket.transport.is_closing():  # else asyncio warns of each write
        broadcast([websocket], message)


_background_tasks = set()


def in_background(coroutine):
    """Run a coroutine without waiting for it, keeping a reference until it's done."""
    task = asyncio.create_task(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def close_unavailable(websocket):
    """Tell a client that the games are out of reach, and to come back later."""
    exc = Unavailable("The server lost its games' storage. Reconnecting…")
    send_now(websocket, error_event(exc))
    await websocket.close(CloseCode.TRY_AGAIN_LATER, "games unavailable")
