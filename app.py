#!/usr/bin/env python
"""Connect Four over WebSockets: the game server.

Run ``python app.py`` and open the address it prints. README.md explains the
protocol and the options.

This file follows the websockets tutorial: the games it holds, then
``handler()``, which routes each connection to ``start()``, ``join()``,
``resume()`` or ``watch()``, which all end in ``play()``. It is the part that
talks to connections: the game itself, without I/O, lives in games/ (rooms,
seats and their changes in games/core.py), its rules in connect4.py. What
protects the server lives in server/hardening.py; serving the page, in
server/page.py; setting the servers up and the command line, in
server/serving.py and server/command_line.py; with ``--redis``, games shared
by several processes, in server/redis_games/.

"""

import asyncio
import contextlib
import functools
import logging
import secrets

from websockets.asyncio.server import broadcast
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from computer import levels
from computer.pool import Busy, SearchPool
from connect4 import PLAYER1, PLAYER2
from games.core import (
    Replaced,
    Room,
    Seat,
    ToEveryone,
    ToSeat,
    arrival,
    departure,
    move,
    other,
    position_after,
    rematch,
    replay,
    start_from,
)
from games.events import encode, error_event, init_event, parse
from games.exceptions import (
    AlreadyInGame,
    AnalysisRefused,
    GameNotFound,
    HintsRefused,
    IllegalMove,
    InvalidEvent,
    NotAPlayer,
    ServerFull,
    Unavailable,
)
from games.memory import Games, LocalGames
from server import command_line, serving
from server.clients import CLIENTS
from server.connections import (
    CONNECTIONS,
    connection_id,
    in_background,
    local_connection,
    send_now,
)
from server.hardening import LIMITS, connection_slot
from solver import search

log = logging.getLogger("connect4")


# The games in progress, found by the keys in the links and by seat tokens.

JOIN = {}  # join key -> Room, while the game lasts
WATCH = {}  # watch key -> Room, the same rooms
SEATS = {}  # seat token -> Room, the same rooms again

SEARCHES = SearchPool()  # where computer players think, away from the event loop

# Closes a connection whose seat was taken over by a newer connection with the
# seat's token, e.g. the same page reconnecting: that page must not reconnect.
CLOSE_REPLACED = 4000


def deliver(room, outputs):
    """Send what a change to a game says to send to this process's connections."""
    for output in outputs:
        match output:
            case ToEveryone(message):
                broadcast(room.connected, message)
            case ToSeat(seat, message):
                if websocket := local_connection(seat):
                    send_now(websocket, message)
            case Replaced(connection):
                # In the background: closing a dead connection takes close_timeout.
                if websocket := CONNECTIONS.get(connection):
                    reason = "seat taken over by a new connection"
                    in_background(websocket.close(CLOSE_REPLACED, reason))
    if room.hints:
        offer_hints(room)


# Where games live: JOIN, WATCH and SEATS, unless main() shares them through
# Redis. Either way, a change to a game goes through GAMES.change(room, decide):
# decide(room) checks it against the game as it is and returns it, or raises
# InvalidEvent; then games/core.py's apply() makes it part of the game, and
# deliver() sends what it returns.
GAMES = Games(LocalGames(JOIN, WATCH, SEATS, deliver))


# The connection handler and the coroutines it routes to.


async def handler(websocket):
    """Route a connection to start(), join(), resume() or watch(), by its init event."""
    with connection_slot() as admitted:
        if not admitted:
            await error(websocket, ServerFull("The server is full. Try again later."))
            await websocket.close(CloseCode.TRY_AGAIN_LATER, "server full")
            return
        # A connection that doesn't say what it wants soon holds a socket for nothing.
        deadline = asyncio.get_running_loop().time() + LIMITS.init_timeout
        try:
            while True:
                async with asyncio.timeout_at(deadline):
                    message = await websocket.recv()
                websocket.check_rate()
                try:
                    await route(websocket, parse(message))
                    return
                except InvalidEvent as exc:
                    # Not in a game yet: the client may try another init.
                    log.debug("refused an init: %s", exc)
                    await error(websocket, exc)
        except TimeoutError:
            log.debug("closing a connection that sent no init in time")
            await websocket.close(CloseCode.POLICY_VIOLATION, "no init")
        except Unavailable as exc:
            # The page retries after 1013, by which time the storage may be back.
            await error(websocket, exc)
            await websocket.close(CloseCode.TRY_AGAIN_LATER, "games unavailable")
        except ConnectionClosed:
            pass  # the client went away or broke the protocol; websockets closed it


async def route(websocket, event):
    """Start, join, resume or watch a game, as the init event asks."""
    if event["type"] != "init":
        raise InvalidEvent("Start, join or watch a game first.")
    if "token" in event:
        try:
            return await resume(websocket, event["token"])
        except GameNotFound:
            # A page that held a seat presents its token; if the seat is
            # gone, the join link, when the page has one, may seat it anew.
            if "join" not in event:
                raise
    if "join" in event:
        await join(websocket, event["join"])
    elif "watch" in event:
        await watch(websocket, event["watch"])
    elif "computer" in event:
        await start(websocket, *computer_game(event))
    elif "moves" in event:
        raise InvalidEvent('Only a game against the computer starts from "moves": add "computer".')
    else:
        await start(websocket)


async def start(websocket, computer_level=None, player=PLAYER1, columns=()):
    """Create a game and seat the connection as red, or as player against the computer.

    Against the computer, the game may start after these columns: "play from here".

    """
    CLIENTS.start_game(websocket.client)  # one client may start only so many
    room = Room(
        join_key=secrets.token_urlsafe(12),
        watch_key=secrets.token_urlsafe(12),
        host=Seat(player),
    )
    if computer_level is not None:
        room.guest = Seat(other(player), computer=computer_level)
    await GAMES.create(room)
    log.info("game %s: started", room.number)
    if columns:
        try:
            await GAMES.change(room, functools.partial(start_from, columns))
        except BaseException:
            GAMES.release(room)  # as attending() would: nobody is in this game
            raise
    let_computer_move(room)  # it starts when it is its turn
    async with attending(websocket, room, "host") as seat:
        await play(websocket, room, seat)


async def join(websocket, key):
    """Give the connection the second seat in the game that the join key opens."""
    room = await GAMES.find("join", key)
    async with attending(websocket, room, "guest", new_token=secrets.token_urlsafe(16)) as seat:
        await play(websocket, room, seat)


async def resume(websocket, token):
    """Give a player's seat back to them, on a new connection, by its token."""
    room = await GAMES.find("token", token)
    role = "host" if room.host.token == token else "guest"
    async with attending(websocket, room, role) as seat:
        log.info("game %s: %s is back", room.number, seat.player)
        await play(websocket, room, seat)


async def watch(websocket, key):
    """Add the connection as a spectator of the game that the watch key opens."""
    room = await GAMES.find("watch", key)
    async with attending(websocket, room):
        await play(websocket, room, None)


async def play(websocket, room, seat):
    """Receive a connection's events for as long as it lasts and act on them."""
    async for message in websocket:
        websocket.check_rate()
        try:
            event = parse(message)
            if event["type"] == "init":
                raise AlreadyInGame("You're already in a game. Open a new page for another.")
            if event["type"] == "analyse":
                send_analysis(websocket, room)
            elif event["type"] == "hints":
                ask_for_hints(websocket, room, seat, event)
            elif seat is None:
                raise NotAPlayer("You're watching this game: only the players can play.")
            elif event["type"] == "play":
                await GAMES.change(room, functools.partial(move, seat, event))
                let_computer_move(room)
            else:
                await GAMES.change(room, functools.partial(rematch, seat))
                let_computer_move(room)
        except InvalidEvent as exc:
            log.debug("game %s: refused an event: %s", room.number, exc)
            await error(websocket, exc)


# Computer players: a seat without a connection, whose moves come from the
# solver, in another process, and enter the game as a person's do.


def computer_game(event):
    """Read the level, the person's colour and the moves to start from in an init to play the computer."""
    level, player = event["computer"], event.get("player", PLAYER1)
    if not isinstance(level, str) or level not in levels.LEVELS:
        raise InvalidEvent(f"The computer's levels are {', '.join(levels.LEVELS)}.")
    if player not in (PLAYER1, PLAYER2):
        raise InvalidEvent(f'"player" is "{PLAYER1}" or "{PLAYER2}".')
    return level, player, moves_to_start_from(event.get("moves", ""))


def moves_to_start_from(moves):
    """Read "play from here" moves in Pons's notation, "4453", as columns 0 to 6, checked."""
    if not isinstance(moves, str):
        raise InvalidEvent('"moves" is a string of columns from 1 to 7, such as "4453".')
    for number, digit in enumerate(moves, start=1):
        if digit not in "1234567":
            raise InvalidEvent(f'"moves" is a string of columns from 1 to 7: move {number} is not.')
    columns = [int(digit) - 1 for digit in moves]
    position_after(columns)  # one that can't be played, or a finished game, is refused
    return columns


def let_computer_move(room):
    """If a computer is to move, have it think, then play, in the background."""
    if room.game.over:
        return
    for seat in room.seats:
        if seat.computer is not None and seat.player == room.game.next_player:
            in_background(computer_move(room, seat))


async def computer_move(room, seat):
    """Find the computer's move and play it after a short, natural pause."""
    game, moves = room.game, len(room.game.columns)
    thinking = asyncio.create_task(SEARCHES.choose_move(game.columns, seat.computer))
    # The pause runs while the solver thinks: a quick search still takes it.
    await asyncio.sleep(LIMITS.computer_delay)
    try:
        column = await thinking
    except Exception:  # a bug in the solver, or a worker that died
        log.exception("game %s: the computer couldn't choose a move", room.number)
        return

    def decide(room):
        # The game may have moved on meanwhile: a rematch, a move from elsewhere.
        if room.game is not game or len(game.columns) != moves:
            raise IllegalMove("The computer's move is for a position that is gone.")
        return move(seat, {"column": column}, room)

    try:
        await GAMES.change(room, decide)
    except (InvalidEvent, Unavailable) as exc:
        log.debug("game %s: dropped the computer's move: %s", room.number, exc)


def send_analysis(websocket, room):
    """Send a connection the analysis of the finished game, computed once per game."""
    if not room.game.over:
        raise AnalysisRefused("The analysis opens when the game is over.")
    if room.analysis is None:
        room.analysis = asyncio.ensure_future(analysis_event(room))
    in_background(deliver_analysis(websocket, room, room.analysis))


async def analysis_event(room):
    """Analyse the room's game in a worker and encode the event that tells it."""
    columns = list(room.game.columns)
    scores = await SEARCHES.analyse(columns)
    return encode(type="analysis", columns=columns, scores=scores)


async def deliver_analysis(websocket, room, analysis):
    """Send the analysis to a connection once it's ready, or say why it isn't."""
    try:
        message = await analysis
    except Busy:
        if room.analysis is analysis:
            room.analysis = None  # try again on the next request
        busy = AnalysisRefused("The server is busy analysing other games. Try again in a moment.")
        message = error_event(busy)
    send_now(websocket, message)


# Hints: in a game against the computer, its person may ask for the score of
# every move whenever it is their turn. They go to that connection alone:
# never to spectators, who could pass them on, nor in games between people.


def ask_for_hints(websocket, room, seat, event):
    """Turn hints on or off for the connection of the person playing the computer."""
    on = event.get("on")
    if not isinstance(on, bool):
        raise InvalidEvent('A hints event needs "on": true or false.')
    opponent = None if seat is None else room.opponent(seat)
    if opponent is None or opponent.computer is None:
        raise HintsRefused("Hints are only for the person playing the computer.")
    if on:
        room.hints[websocket] = (seat, None)  # no position hinted yet: one comes now
        offer_hints(room)
    else:
        room.hints.pop(websocket, None)


def offer_hints(room):
    """Search a hint for each connection that wants one and whose turn it is, once per position."""
    game = room.game
    position = (game, len(game.columns))
    for websocket, (seat, hinted) in room.hints.items():
        if not game.over and game.next_player == seat.player and hinted != position:
            room.hints[websocket] = (seat, position)
            in_background(send_hint(websocket, room, game, list(game.columns)))


async def send_hint(websocket, room, game, columns):
    """Score the moves after these columns in a worker and send them, if still wanted."""
    try:
        scores = await SEARCHES.hints(columns)
    except Exception:  # a bug in the solver, or a worker that died
        log.exception("game %s: couldn't search a hint", room.number)
        return
    # The game moved on meanwhile, or hints were turned off: it helps nobody.
    if room.game is game and game.columns == columns and websocket in room.hints:
        send_now(websocket, encode(type="hints", scores=scores))


# Connections coming to a game and leaving it.


@contextlib.asynccontextmanager
async def attending(websocket, room, role=None, new_token=None):
    """Keep a connection in a room while it lasts, in the role's seat or watching."""
    # The caller found the room with GAMES.find() or made it with GAMES.create():
    # whatever happens here, GAMES.release() lets it go.
    connection, seat = connection_id(websocket), None
    try:
        if role is not None:
            CONNECTIONS[connection] = websocket
            await GAMES.change(room, functools.partial(arrival, role, connection, new_token))
            seat = room.host if role == "host" else room.guest
            send_now(websocket, init_event(room, seat))
        # From here to the yield, nothing awaits: no event slips between the
        # replay and the connection joining those who get every event.
        for message in replay(room, seat):
            send_now(websocket, message)
        room.connected.add(websocket)
        yield seat
    finally:
        room.connected.discard(websocket)
        room.hints.pop(websocket, None)
        if CONNECTIONS.pop(connection, None) is not None and seat is not None:
            try:
                await GAMES.change(room, functools.partial(departure, role, connection))
            except (InvalidEvent, Unavailable):
                pass  # replaced by a newer connection, or the storage is gone with the news
        GAMES.release(room)


async def error(websocket, exc):
    """Tell a client that its last event was refused, and why."""
    await websocket.send(error_event(exc))


# Running the server: server/serving.py sets the servers up; server/command_line.py
# reads the options.


def websocket_server(host=None, port=8001, **options):
    """Create the game's WebSocket server; use it with ``async with``."""
    # Options replace any setting, even the handler: the benchmark's floor server does.
    return serving.websocket_server(options.pop("handler", handler), host, port, **options)


async def main(args):
    """Serve the games, shared through Redis if asked, until SIGTERM or SIGINT."""
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(SEARCHES.close)  # last: searches end after the games
        if args.redis:
            from server import redis_games  # only then: the default needs no Redis client

            shared = redis_games.SharedGames(args.redis, deliver, let_computer_move)
            await shared.open()
            stack.push_async_callback(shared.close)  # after the connections' goodbyes
            GAMES.use(shared)
        log_search()
        await serving.serve(websocket_server, args)


def log_search():
    """Say which search the computer players and the analysis use: compiled, or Python."""
    if search.IMPLEMENTATION == "C":
        log.info("the computer and the analysis use the compiled search")
    else:  # no C compiler at install, or CONNECT4_NO_EXTENSIONS=1
        log.info(
            "the computer and the analysis use the Python search: the slowest "
            "positions take seconds where the compiled search takes a tenth"
        )


def run(argv=None):
    """Run the server from the command line: ``python app.py --help``."""
    command_line.run(main, argv)


if __name__ == "__main__":
    run()
