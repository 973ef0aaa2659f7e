"""The load: real websockets clients playing Connect Four as browsers would.

Clients offer permessage-deflate, as browsers do; whether it's used is the
server's choice. They don't send pings, as browsers don't.

"""

import asyncio
import json
import random
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from connect4 import PLAYER1, PLAYER2

# A full game without four in a row: it ends in a draw on the 42nd move.
DRAW = [5, 4, 5, 0, 6, 2, 4, 5, 5, 0, 4, 1, 1, 0, 4, 5, 6, 5, 3, 1, 1,
        2, 2, 6, 2, 6, 6, 3, 6, 2, 0, 3, 0, 3, 3, 4, 3, 1, 4, 2, 1, 0]  # fmt: skip
PLAYS = [json.dumps({"type": "play", "column": column}) for column in range(7)]

# uri -> the TLS settings that trust its server, for wss:// servers of the
# benchmark, e.g. Caddy with its own local certificate authority.
TLS = {}

# Games opened at once, so that the server's accept queue never overflows.
OPENING = 50


class UnexpectedEvent(Exception):
    """The server sent something else than what the protocol says it should."""


async def receive(websocket, **expected):
    """Receive an event and check the fields given; return the event."""
    event = json.loads(await websocket.recv())
    if any(event.get(key) != value for key, value in expected.items()):
        raise UnexpectedEvent(f"expected {expected}, got {event}")
    return event


class Game:
    """The three connections of a game: red, yellow and a spectator."""

    def __init__(self, red, yellow, spectator, canned=False):
        self.red, self.yellow, self.spectator = red, yellow, spectator
        # The floor server's play events are canned: their column is always 0.
        self.canned = canned

    @classmethod
    async def open(cls, red_uri, yellow_uri, spectator_uri, canned=False):
        """Start a game, join it and watch it, as three browsers would.

        With servers sharing games, each connection may reach another one.

        """
        opened = []
        try:
            red = await connect_client(red_uri, opened)
            await red.send('{"type": "init"}')
            init = await receive(red, type="init", player=PLAYER1)
            yellow = await connect_client(yellow_uri, opened)
            await yellow.send(json.dumps({"type": "init", "join": init["join"]}))
            await receive(yellow, type="init", player=PLAYER2)
            await receive(yellow, type="joined", player=PLAYER1)
            await receive(red, type="joined", player=PLAYER2)
            spectator = await connect_client(spectator_uri, opened)
            await spectator.send(json.dumps({"type": "init", "watch": init["watch"]}))
            await receive(spectator, type="joined", player=PLAYER1)
            await receive(spectator, type="joined", player=PLAYER2)
        except BaseException:
            await asyncio.gather(*(websocket.close() for websocket in opened))
            raise
        return cls(red, yellow, spectator, canned)

    async def play(self, columns, latencies, progress, think=0.0):
        """Play columns, red first, each player waiting for its move's event.

        Append each move's latency, from sending it to receiving its play
        event, and advance progress by one. With think, each player waits
        that many seconds on average before each of its moves, as people do,
        more briefly.

        """
        # If one of them fails, the others stop waiting for events.
        parts = [(self.red, PLAYER1), (self.yellow, PLAYER2), (self.spectator, None)]
        async with asyncio.TaskGroup() as group:
            for websocket, player in parts:
                group.create_task(
                    self.take_part(websocket, player, columns, latencies, progress, think)
                )

    async def take_part(self, websocket, player, columns, latencies, progress, think=0.0):
        """Play player's moves in turn and receive every move's event.

        Each event must be the next move's, its player and column: a move's
        event lost, received twice or out of order raises UnexpectedEvent.

        """
        for index, column in enumerate(columns):
            mover = PLAYER2 if index % 2 else PLAYER1
            expected = {"type": "play", "player": mover, "column": 0 if self.canned else column}
            if mover == player:
                if think:
                    # People don't move in step: think times spread evenly
                    # around the mean keep 200 games from moving all at once.
                    await asyncio.sleep(random.uniform(0, 2 * think))
                sent = time.perf_counter()
                await websocket.send(PLAYS[column])
                await receive(websocket, **expected)
                latencies.append(time.perf_counter() - sent)
                progress.advance()
            else:
                await receive(websocket, **expected)
        if len(columns) == len(DRAW):
            await receive(websocket, type="draw")

    @property
    def connections(self):
        return [self.red, self.yellow, self.spectator]

    async def close(self):
        """Close the three connections."""
        await asyncio.gather(self.red.close(), self.yellow.close(), self.spectator.close())


async def connect_client(uri, opened):
    """Open a connection like a browser's and add it to opened."""
    websocket = await connect(uri, compression="deflate", ping_interval=None, ssl=TLS.get(uri))
    opened.append(websocket)
    return websocket


def addresses(uris, number):
    """Where game number's red, yellow and spectator connect, among the servers' uris.

    With two servers, red and yellow of each game are on different servers,
    in turn, and the spectator on either: every pairing occurs.

    """
    count = len(uris)
    return uris[number % count], uris[(number + 1) % count], uris[number // count % count]


async def open_games(uris, count, progress, errors, canned=False):
    """Open count games on the servers at uris, a few at a time; record failures in errors.

    canned: the server's play events are canned, as the floor's.

    """
    games = []
    slots = asyncio.Semaphore(OPENING)

    async def open_one(number):
        async with slots:
            try:
                games.append(await Game.open(*addresses(uris, number), canned))
            except Exception as exc:
                errors.append(f"opening a game: {exc!r}")
            progress.advance()

    await asyncio.gather(*(open_one(number) for number in range(count)))
    return games


async def check_quiet(games, errors, wait=0.1):
    """Check that no connection receives anything more, e.g. an event twice."""

    async def check(websocket):
        try:
            event = await asyncio.wait_for(websocket.recv(), wait)
        except TimeoutError:
            return
        except ConnectionClosed as exc:
            errors.append(f"after the game: connection closed: {exc!r}")
        else:
            errors.append(f"after the game: unexpected event {event}")

    await asyncio.gather(*(check(websocket) for game in games for websocket in game.connections))


async def close_games(games, progress):
    """Close every connection of these games, a few games at a time."""
    slots = asyncio.Semaphore(OPENING)

    async def close_one(game):
        async with slots:
            await game.close()
        progress.advance()

    await asyncio.gather(*(close_one(game) for game in games))


async def play_games(games, columns, progress, errors, think=0.0):
    """Play every game at once; return the latencies of the moves played.

    progress advances by one for each move; think is as in Game.play().

    """
    latencies = []

    async def play_one(game):
        try:
            await game.play(columns, latencies, progress, think)
        except* Exception as group:
            errors.extend(f"playing: {exc!r}" for exc in group.exceptions)

    await asyncio.gather(*(play_one(game) for game in games))
    return latencies
