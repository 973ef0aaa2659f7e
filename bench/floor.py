"""The floor server: the game server's WebSocket settings, and no game.

It seats connections in rooms as app.py does, then answers every message with
a canned play event for everyone in the room: no parsing, no rules and no
validation, so what a move costs here is what websockets costs. After 42
moves it announces a draw, as app.py does at the end of the benchmark's game,
so both servers send the same events. Run ``python -m bench.floor --port 0``.

"""

import argparse
import asyncio
import itertools
import json
import signal

from websockets.asyncio.server import broadcast

import app
from connect4 import COLUMNS, PLAYER1, PLAYER2, ROWS
from games.events import encode  # events serialized exactly as app.py does
from server import command_line

PLAYERS = (PLAYER1, PLAYER2)
PLAY = {player: encode(type="play", player=player, column=0, row=0) for player in PLAYERS}
DRAW = encode(type="draw")
JOINED = {player: encode(type="joined", player=player) for player in PLAYERS}

ROOMS = {}  # join key or watch key -> Room
_numbers = itertools.count(1)


class Room:
    """The connections of one game, and how many moves they made."""

    def __init__(self):
        number = next(_numbers)
        self.join_key, self.watch_key = f"join-{number}", f"watch-{number}"
        self.seated = []  # players, in the order they arrived
        self.connected = set()
        self.moves = 0


async def relay(websocket):
    """Seat a connection by its init event, then relay canned play events."""
    event = json.loads(await websocket.recv())
    if "join" in event:
        room, player = ROOMS[event["join"]], PLAYER2
    elif "watch" in event:
        room, player = ROOMS[event["watch"]], None
    else:
        room, player = Room(), PLAYER1
        ROOMS[room.join_key] = ROOMS[room.watch_key] = room
    if player is not None:
        init = encode(type="init", join=room.join_key, watch=room.watch_key, player=player)
        await websocket.send(init)
    for seated in room.seated:
        await websocket.send(JOINED[seated])
    if player is not None:
        broadcast(room.connected, JOINED[player])
        room.seated.append(player)
    room.connected.add(websocket)
    try:
        async for _ in websocket:
            room.moves += 1
            broadcast(room.connected, PLAY[player])
            if room.moves == COLUMNS * ROWS:
                broadcast(room.connected, DRAW)
    finally:
        room.connected.discard(websocket)
        if not room.connected:
            del ROOMS[room.join_key], ROOMS[room.watch_key]


async def main(host, port):
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    # The game server's settings, without its handler, its checks of the
    # handshake and its rate-limited connections.
    async with app.websocket_server(
        host, port, handler=relay, process_request=None, create_connection=None
    ) as server:
        print(f"Floor: WebSocket server on port {server.sockets[0].getsockname()[1]}.", flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the benchmark's floor server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free one")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=command_line.event_loop_factory()) as runner:
        runner.run(main(args.host, args.port))
