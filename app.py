#!/usr/bin/env python
"""Connect Four over WebSockets: the game server.

Run ``python app.py`` and open the address it prints. README.md explains the
protocol and the options.

This file follows the websockets tutorial: the games it holds, then
``handler()``, which routes each connection to ``start()``, ``join()``,
``resume()`` or ``watch()``, which all end in ``play()``. What protects the
server lives in server/hardening.py; serving the page, in server/page.py; the
rules of the game, in connect4.py; with ``--redis``, games shared by several
processes, in server/redis_games.py.

"""

import argparse
import asyncio
import contextlib
import dataclasses
import errno
import functools
import itertools
import json
import logging
import os
import secrets
import signal
import sys
import time

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from computer import levels
from computer.pool import Busy, SearchPool
from connect4 import PLAYER1, PLAYER2, Connect4
from server import page
from server.hardening import LIMITS, MAX_SIZE, GameConnection, check_request, connection_slot

log = logging.getLogger("connect4")


# The games in progress, found by the keys in the links and by seat tokens.

JOIN = {}  # join key -> Room, while the game lasts
WATCH = {}  # watch key -> Room, the same rooms
SEATS = {}  # seat token -> Room, the same rooms again

SEARCHES = SearchPool()  # where computer players think, away from the event loop
COMPUTER_DELAY = 0.5  # seconds a computer's move takes at least, to look natural


@dataclasses.dataclass(eq=False)
class Seat:
    """A player's place at a game, which outlives its connections."""

    player: str  # colour in the current game: each rematch swaps them
    # Proves who holds the seat when its player reconnects; only they know it.
    token: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(16))
    connection: str | None = None  # the id of the connection in the seat, if any
    left_at: float = 0.0  # when the connection closed, in seconds since the epoch
    wins: int = 0
    computer: str | None = None  # a computer player's level; it has no connection

    @property
    def present(self):
        """Tell whether the player is at the game: connected, or a computer."""
        return self.connection is not None or self.computer is not None

    def is_abandoned(self):
        """Tell whether the player left longer ago than the grace period."""
        return not self.present and time.time() - self.left_at >= LIMITS.grace


@dataclasses.dataclass(eq=False)
class Room:
    """A game, the seats of its two players and every connection taking part."""

    join_key: str
    watch_key: str
    host: Seat  # started the game
    guest: Seat | None = None  # came with the join link
    number: int | str | None = None  # names the game in logs, where keys must not appear
    game: Connect4 = dataclasses.field(default_factory=Connect4)
    connected: set = dataclasses.field(default_factory=set)  # players and spectators here
    history: list = dataclasses.field(default_factory=list)  # this game's events, encoded
    rematch: set = dataclasses.field(default_factory=set)  # players asking for one
    analysis: asyncio.Future | None = None  # of the finished game, once asked for
    draws: int = 0
    changes: int = 0  # how many changes made the room what it is (see apply())
    expiry: asyncio.TimerHandle | None = None  # forgets the room once empty

    @property
    def seats(self):
        """The seats taken so far."""
        return [seat for seat in (self.host, self.guest) if seat is not None]

    def opponent(self, seat):
        """The other seat at the game, or None while nobody took it."""
        return self.guest if seat is self.host else self.host

    def seat_of(self, player):
        """The seat playing a colour."""
        return self.host if self.host.player == player else self.guest

    def score(self):
        """Games won by whoever plays each colour now, and draws."""
        score = {seat.player: seat.wins for seat in self.seats}
        return {PLAYER1: score.get(PLAYER1, 0), PLAYER2: score.get(PLAYER2, 0), "draws": self.draws}


# Where games live: this process's memory, unless app.py runs with --redis.
# Either way, a change to a game goes through GAMES.change(room, decide):
# decide(room) checks the change against the game as it is and returns it, or
# raises InvalidEvent; then apply(room, change) makes it part of the game and
# tells everyone in it.


class LocalGames:
    """Games in this process's memory, in JOIN, WATCH and SEATS: the default."""

    keys = {"join": JOIN, "watch": WATCH, "token": SEATS}
    rooms = itertools.count(1)

    async def create(self, room):
        """Make a new game findable by its keys and its host's token."""
        if len(JOIN) >= LIMITS.games:
            raise ServerFull("The server has as many games as it can hold. Try again later.")
        room.number = next(self.rooms)
        JOIN[room.join_key] = room
        WATCH[room.watch_key] = room
        SEATS[room.host.token] = room

    async def find(self, kind, key):
        """Return the room that a join key, watch key or seat token opens."""
        # The key comes from the client: it may be any JSON value, even unhashable.
        room = self.keys[kind].get(key) if isinstance(key, str) else None
        if room is None:
            raise GameNotFound("This game doesn't exist. It may have ended.")
        if room.expiry is not None:  # someone is back before it was forgotten
            room.expiry.cancel()
            room.expiry = None
        return room

    async def change(self, room, decide):
        """Check a change against the game and apply it."""
        # Nothing here awaits: no other connection acts between the check
        # and the change, so a seat found free is still free when taken.
        change = decide(room)
        if "token" in change:  # a guest is seated: from now on, its token opens the seat
            if room.guest is not None:
                del SEATS[room.guest.token]
            SEATS[change["token"]] = room
        apply(room, change)

    def release(self, room):
        """Forget a room once nobody is in it and nobody came back in time."""
        if not room.connected and room.expiry is None:
            room.expiry = asyncio.get_running_loop().call_later(LIMITS.grace, forget, room)

    async def close(self):
        """Nothing to close: the games end with the process."""


def forget(room):
    """Drop a game that nobody came back to within the grace period."""
    del JOIN[room.join_key], WATCH[room.watch_key]
    for seat in room.seats:
        if seat.computer is None:  # a computer's seat has no token to resume it
            SEATS.pop(seat.token, None)
    log.info("game %s: closed", room.number)


GAMES = LocalGames()


# What a client may get wrong. Each refusal is an error event for that client
# alone, with a message for people and a reason for programs; it changes nothing.


class InvalidEvent(Exception):
    """A client sent an event the server can't act on; the message says why."""

    reason = "invalid"


class GameNotFound(InvalidEvent):
    """No game has that join key, watch key or seat token, or no longer."""

    reason = "not-found"


class SeatTaken(InvalidEvent):
    """The join link's seat is held by a player who is here or may come back."""

    reason = "seat-taken"


class NotAPlayer(InvalidEvent):
    """A spectator tried to do what only players do."""

    reason = "spectator"


class IllegalMove(InvalidEvent):
    """The rules refuse the move: not your turn, a full column, the game is over..."""

    reason = "illegal-move"


class RematchRefused(InvalidEvent):
    """The game isn't over, or the player asked already."""

    reason = "rematch"


class AlreadyInGame(InvalidEvent):
    """An init arrived on a connection that is already in a game."""

    reason = "in-game"


class ServerFull(InvalidEvent):
    """The server holds as many games or connections as it may."""

    reason = "server-full"


class AnalysisRefused(InvalidEvent):
    """The game isn't over, or the server is too busy to analyse it now."""

    reason = "analysis"


class Unavailable(Exception):
    """The games' storage can't be reached: the client should come back later."""

    reason = "unavailable"


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
    else:
        await start(websocket)


async def start(websocket, computer_level=None, player=PLAYER1):
    """Create a game and seat the connection as red, or as player against the computer."""
    room = Room(
        join_key=secrets.token_urlsafe(12),
        watch_key=secrets.token_urlsafe(12),
        host=Seat(player),
    )
    if computer_level is not None:
        room.guest = Seat(other(player), computer=computer_level)
    await GAMES.create(room)
    log.info("game %s: started", room.number)
    let_computer_move(room)  # it starts when it plays red
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


# What players do, checked against the game as it is: moves and rematches.


def move(seat, event, room):
    """Check a player's move and return the change that plays it."""
    if "column" not in event:
        raise InvalidEvent('A play event needs a "column".')
    try:
        room.game.check(seat.player, event["column"])
    except ValueError as exc:
        raise IllegalMove(str(exc)) from None
    return {"type": "play", "column": event["column"]}


def rematch(seat, room):
    """Check a player's request for a rematch and return the change that makes it."""
    if not room.game.over:
        raise RematchRefused("You can ask for a rematch when the game is over.")
    if seat.player in room.rematch:
        raise RematchRefused("You asked already. Waiting for your opponent.")
    return {"type": "rematch", "player": seat.player}


def other(player):
    """The opponent's colour."""
    return PLAYER2 if player == PLAYER1 else PLAYER1


# Changes: how a game moves on. Each is a small dict that apply() makes part of
# the game, telling everyone in it. With --redis, the same changes, in the same
# order, reach every process that has connections to the game.


def apply(room, change):
    """Make a change part of the game and tell everyone in it."""
    room.changes += 1
    kind = change["type"]
    if kind == "play":
        played(room, change["column"])
    elif kind == "rematch":
        asked_for_rematch(room, change["player"])
    elif kind == "arrive":
        arrived(room, change)
    else:
        departed(room, change)


def played(room, column):
    """Play the next player's checker in a column, then announce the result, if any."""
    player = room.game.next_player
    row = room.game.play(player, column)
    announce(room, play_event(player, column, row))
    if not room.game.over:
        return
    if room.game.winner is not None:
        room.seat_of(player).wins += 1
        announce(room, encode(type="win", player=player))
        log.info("game %s: %s won in %d moves", room.number, player, len(room.game.columns))
    else:
        room.draws += 1
        announce(room, encode(type="draw"))
        log.info("game %s: draw", room.number)


def asked_for_rematch(room, player):
    """Record a request for a rematch; once both players asked, start it, colours swapped."""
    requests = [player]
    opponent = room.opponent(room.seat_of(player))
    if opponent is not None and opponent.computer is not None:  # it always wants another game
        requests.append(opponent.player)
    for player in requests:
        room.rematch.add(player)
        broadcast(room.connected, encode(type="rematch", player=player))
    if len(room.rematch) < 2:
        return
    # Red moves first, so swapping colours alternates who starts.
    room.game, room.history, room.rematch = Connect4(), [], set()
    room.analysis = None
    for seat in room.seats:
        seat.player = other(seat.player)
        if websocket := local_connection(room, seat):
            send_now(websocket, init_event(room, seat))
    # The score is by colour, which just swapped: say who the host is now.
    announce(room, encode(type="reset", score=room.score(), host=room.host.player))
    log.info("game %s: rematch", room.number)


def arrived(room, change):
    """Seat a connection: a new guest, a guest replacing one who left, or a player back."""
    if change["seat"] == "host":
        seat = room.host
    elif room.guest is None:
        seat = room.guest = Seat(other(room.host.player), token=change["token"])
    else:
        seat = room.guest
        if "token" in change:  # whoever had the seat isn't coming back
            seat.token = change["token"]
    replaced, seat.connection = seat.connection, change["connection"]
    if replaced is None:
        broadcast(room.connected, encode(type="joined", player=seat.player))
    elif websocket := CONNECTIONS.get(replaced):
        # The player came back on a new connection while the old one looked
        # alive: the new one wins, and the old page is told why. In the
        # background: closing a dead connection takes close_timeout.
        in_background(websocket.close(CLOSE_REPLACED, "seat taken over by a new connection"))


def departed(room, change):
    """Free a seat whose connection closed, for the grace period."""
    seat = room.host if change["seat"] == "host" else room.guest
    seat.connection, seat.left_at = None, change["at"]
    broadcast(room.connected, encode(type="left", player=seat.player, grace=LIMITS.grace))
    log.info("game %s: %s left", room.number, seat.player)


# Closes a connection whose seat was taken over by a newer connection with the
# seat's token, e.g. the same page reconnecting: that page must not reconnect.
CLOSE_REPLACED = 4000


# Computer players: a seat without a connection, whose moves come from the
# solver, in another process, and enter the game as a person's do.


def computer_game(event):
    """Read the level and the person's colour from an init asking to play the computer."""
    level, player = event["computer"], event.get("player", PLAYER1)
    if not isinstance(level, str) or level not in levels.LEVELS:
        raise InvalidEvent(f"The computer's levels are {', '.join(levels.LEVELS)}.")
    if player not in (PLAYER1, PLAYER2):
        raise InvalidEvent(f'"player" is "{PLAYER1}" or "{PLAYER2}".')
    return level, player


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
    await asyncio.sleep(COMPUTER_DELAY)
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
        message = encode(
            type="error",
            message="The server is busy analysing other games. Try again in a moment.",
            reason=AnalysisRefused.reason,
        )
    send_now(websocket, message)


# Connections coming to a game and leaving it.

CONNECTIONS = {}  # connection id -> this process's connections in a seat
# Begins each connection id, so that processes sharing games tell whose it is.
PROCESS = secrets.token_hex(4)


@contextlib.asynccontextmanager
async def attending(websocket, room, role=None, new_token=None):
    """Keep a connection in a room while it lasts, in the role's seat or watching."""
    # The caller found the room with GAMES.find() or made it with GAMES.create():
    # whatever happens here, GAMES.release() lets it go.
    connection, seat = f"{PROCESS}/{websocket.id}", None
    try:
        if role is not None:
            CONNECTIONS[connection] = websocket
            await GAMES.change(room, functools.partial(arrival, role, connection, new_token))
            seat = room.host if role == "host" else room.guest
            send_now(websocket, init_event(room, seat))
        # From here to the yield, nothing awaits: no event slips between the
        # replay and the connection joining those who get every event.
        replay(websocket, room, seat)
        room.connected.add(websocket)
        yield seat
    finally:
        room.connected.discard(websocket)
        if CONNECTIONS.pop(connection, None) is not None and seat is not None:
            try:
                await GAMES.change(room, functools.partial(departure, role, connection))
            except (InvalidEvent, Unavailable):
                pass  # replaced by a newer connection, or the storage is gone with the news
        GAMES.release(room)


def arrival(role, connection, new_token, room):
    """Check that a connection may take the role's seat; return the change that seats it."""
    change = {"type": "arrive", "seat": role, "connection": connection}
    if new_token is None:  # a player back with its token takes its seat back
        return change
    if room.guest is not None and not room.guest.is_abandoned():
        # No colour here: the guest's colour swaps with every rematch.
        raise SeatTaken(
            "This game already has two players. Ask them for the watch link to follow it."
        )
    return change | {"token": new_token}


def departure(role, connection, room):
    """Return the change that frees the role's seat, unless a newer connection holds it."""
    seat = room.host if role == "host" else room.guest
    if seat.connection != connection:
        raise SeatTaken("The seat was taken over by a newer connection.")
    return {"type": "depart", "seat": role, "at": time.time()}


def local_connection(room, seat):
    """The connection in a seat, if it is one of this process's."""
    return CONNECTIONS.get(seat.connection) if seat.connection is not None else None


_background_tasks = set()


def in_background(coroutine):
    """Run a coroutine without waiting for it, keeping a reference until it's done."""
    task = asyncio.create_task(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


# Events: what clients send, and what the server sends them.


# Clients send the same few messages over and over: {"type":"play","column":3}.
# Callers must not modify the events, which the cache shares.
@functools.lru_cache(maxsize=256)
def parse(message):
    """Decode a message from a client into an event, or raise InvalidEvent."""
    if not isinstance(message, str):
        raise InvalidEvent("Send events as JSON text, not binary data.")
    try:
        event = json.loads(message)
    # Deeply nested arrays exhaust the parser's recursion limit.
    except (ValueError, RecursionError):
        raise InvalidEvent("That message isn't valid JSON.") from None
    if not isinstance(event, dict):
        raise InvalidEvent("An event must be a JSON object.")
    if event.get("type") not in ("init", "play", "rematch", "analyse"):
        raise InvalidEvent('An event needs a "type": "init", "play", "rematch" or "analyse".')
    return event


_encoder = json.JSONEncoder(separators=(",", ":"))  # json.dumps() makes one per call


def encode(**event):
    """Serialize an event once, to send it to any number of connections."""
    return _encoder.encode(event)


@functools.cache
def play_event(player, column, row):
    """The encoded play event for a move: there are only 84 of them."""
    return encode(type="play", player=player, column=column, row=row)


def init_event(room, seat):
    """The event telling a player its colour, the game's keys and its seat token."""
    event = dict(join=room.join_key, watch=room.watch_key, player=seat.player, token=seat.token)
    opponent = room.opponent(seat)
    if opponent is not None and opponent.computer is not None:
        event["computer"] = opponent.computer  # the opponent's level
    return encode(type="init", **event)


async def error(websocket, exc):
    """Tell a client that its last event was refused, and why."""
    await websocket.send(encode(type="error", message=str(exc), reason=exc.reason))


async def close_unavailable(websocket):
    """Tell a client that the games are out of reach, and to come back later."""
    exc = Unavailable("The server lost its games' storage. Reconnecting…")
    send_now(websocket, encode(type="error", message=str(exc), reason=exc.reason))
    await websocket.close(CloseCode.TRY_AGAIN_LATER, "games unavailable")


def announce(room, message):
    """Send an event of the current game to everyone, and keep it for latecomers."""
    room.history.append(message)
    broadcast(room.connected, message)


def replay(websocket, room, own_seat=None):
    """Bring a connection up to date: who is here, this game's events, rematch requests."""
    for seat in room.seats:
        if seat.computer is not None:  # say so: spectators name it by its level
            send_now(websocket, encode(type="joined", player=seat.player, computer=seat.computer))
        elif seat.present and seat is not own_seat:
            send_now(websocket, encode(type="joined", player=seat.player))
    for message in room.history:
        send_now(websocket, message)
    for player in room.rematch:
        send_now(websocket, encode(type="rematch", player=player))


def send_now(websocket, message):
    """Send a message without yielding to the event loop, unlike websocket.send()."""
    # Events sent this way reach the client in the order the server decided
    # them: no other coroutine runs in between.
    if not websocket.transport.is_closing():  # else asyncio warns of each write
        broadcast([websocket], message)


# Running the server.


def websocket_server(host=None, port=8001, *, page_port=8000, origins=(), **options):
    """Create the game's WebSocket server; use it with ``async with``.

    It accepts connections from the page served on page_port of the same host,
    from the other origins listed, and from clients that aren't browsers. Any
    setting can be replaced with options: the benchmark's variants put
    websockets' defaults back, and its floor server swaps the handler.

    """
    settings = dict(
        handler=handler,
        process_request=functools.partial(
            check_request,
            page_port=page_port,
            origins=frozenset(origin.rstrip("/") for origin in origins),
        ),
        create_connection=GameConnection,
        # Events are a few dozen bytes: compressing them costs CPU and memory
        # for nothing, and a small max_size stops floods of junk early.
        compression=None,
        max_size=MAX_SIZE,
        # A client sends an event per click and reads what it's sent: a few
        # queued events or KiB unsent bound what one connection can hold.
        max_queue=4,
        write_limit=4096,
        # Shut down within a few seconds even if a client doesn't answer.
        close_timeout=3,
    )
    return serve(host=host, port=port, **settings | options)


async def main(args):
    """Serve the game, and the page unless told not to, until SIGTERM or SIGINT."""
    global GAMES
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with contextlib.AsyncExitStack() as servers:
        servers.callback(SEARCHES.close)  # last: searches end after the games
        if args.redis:
            from server import redis_games  # only then: the default needs no Redis client

            GAMES = redis_games.SharedGames(args.redis, sys.modules[__name__])
            await GAMES.open()
            servers.push_async_callback(GAMES.close)  # after the connections' goodbyes
        # The page first: the WebSocket server accepts pages from its port.
        front_end, page_port = None, args.http_port
        if args.http:
            front_end = page.Page()
            with explain_port_in_use(args.http_port, "--http-port"):
                page_port = bound_port(
                    await servers.enter_async_context(
                        page.page_server(
                            front_end, args.host, args.http_port, reuse_port=args.reuse_port
                        )
                    )
                )
        with explain_port_in_use(args.port, "--port"):
            server = await servers.enter_async_context(
                websocket_server(
                    args.host,
                    args.port,
                    page_port=page_port,
                    origins=args.origin,
                    reuse_port=args.reuse_port,
                )
            )
        websocket_port = bound_port(server)
        if front_end is not None:
            front_end.websocket_port = websocket_port
            front_end.lan_origin = lan_origin(args.host, page_port)
        announce_address(args.host, page_port if front_end else None, websocket_port)
        # Leaving this block closes every connection with 1001 (going away).
        await stop.wait()
        log.info("shutting down")


def stop_on_signals(stop):
    """Set stop on SIGTERM (from service managers) and SIGINT (Ctrl-C)."""
    loop = asyncio.get_running_loop()
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    except NotImplementedError:
        # Windows has no add_signal_handler. There, Ctrl-C makes asyncio.Runner
        # cancel main(), which closes the servers just the same; run() says
        # goodbye quietly.
        pass


def bound_port(server):
    """The port that a server listens on, which the OS picked if asked for port 0."""
    return server.sockets[0].getsockname()[1]


def lan_origin(host, page_port):
    """The page's address for friends on the network, if it listens there."""
    if host not in (None, "", "0.0.0.0", "::"):
        return None
    address = page.lan_address()
    if address is None:
        return None
    log.info("players on your network can open http://%s:%d/", address, page_port)
    return f"http://{address}:{page_port}"


def announce_address(host, page_port, websocket_port):
    """Tell the person who started the server what to open."""
    # print(), not the log: this line is for a person, and tests read it.
    if page_port is not None:
        print(
            f"Connect Four: open http://{url_host(host)}:{page_port}/ "
            f"in your browser (WebSocket server on port {websocket_port}).",
            flush=True,
        )
    else:
        print(
            f"Connect Four: WebSocket server on port {websocket_port}. "
            f"Serve the page yourself, e.g. with: python -m http.server",
            flush=True,
        )


def url_host(host):
    """The host part of a URL that reaches a server listening on host."""
    if host in (None, "", "0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host


class PortInUse(Exception):
    """A port the server needs is taken by another program."""


class StorageUnreachable(Exception):
    """The games' storage, Redis, can't be reached when the server starts."""


@contextlib.contextmanager
def explain_port_in_use(port, option):
    """Turn the error of binding a taken port into PortInUse, naming the option."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(port, option) from None
        raise


def event_loop_factory():
    """Choose the event loop: uvloop, which is faster, when it is installed."""
    try:
        import uvloop
    except ImportError:
        return None  # asyncio's own
    return uvloop.new_event_loop


def parse_args(argv=None):
    """Read the command line; PORT in the environment sets the default --port."""
    parser = argparse.ArgumentParser(description="Play Connect Four in the browser.")
    parser.add_argument(
        "--host",
        help="interface to listen on (default: all, so that friends on your network can join)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8001")),
        help="WebSocket port (default: $PORT or 8001; 0 picks a free one)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=8000,
        help="port of the web page (default: 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--no-http",
        dest="http",
        action="store_false",
        help="serve the WebSocket only, e.g. behind `python -m http.server`",
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="URL",
        help="also accept WebSocket connections from pages at this origin, "
        "e.g. https://game.example (repeatable)",
    )
    parser.add_argument(
        "--max-games", type=int, default=LIMITS.games, help="games in progress at once"
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=LIMITS.connections,
        help="open WebSocket connections at once",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=LIMITS.grace,
        metavar="SECONDS",
        help="how long a seat, and a game nobody is in, wait for players to come back "
        f"(default: {LIMITS.grace:g})",
    )
    parser.add_argument(
        "--computer-delay",
        type=float,
        default=COMPUTER_DELAY,
        metavar="SECONDS",
        help="the least time a computer player takes to move, to look natural "
        f"(default: {COMPUTER_DELAY:g})",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL"),
        metavar="URL",
        help="share the games with every app.py using this Redis, e.g. redis://localhost:6379/0 "
        "(default: $REDIS_URL, or keep games in this process's memory)",
    )
    parser.add_argument(
        "--reuse-port",
        action="store_true",
        help="let several app.py --redis share the same ports, the system spreading "
        "connections among them (Linux, BSDs)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every event")
    args = parser.parse_args(argv)
    if args.reuse_port and not args.redis:
        # Each process would hold its own games: a join link would work
        # only when it reached the process that started the game.
        parser.error("--reuse-port needs --redis: processes sharing ports must share the games")
    return args


def run(argv=None):
    """Run the server from the command line."""
    global COMPUTER_DELAY
    args = parse_args(argv)
    LIMITS.games, LIMITS.connections = args.max_games, args.max_connections
    LIMITS.grace = args.grace
    COMPUTER_DELAY = args.computer_delay
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        level=logging.DEBUG if args.verbose else logging.INFO,
    )
    # websockets logs every connection at INFO: too much for a game server.
    logging.getLogger("websockets").setLevel(logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("redis").setLevel(logging.WARNING)
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(main(args))
    except KeyboardInterrupt:
        pass  # Ctrl-C where signal handlers aren't available: main() closed everything
    except StorageUnreachable as exc:
        sys.exit(f"app.py: {exc}")
    except PortInUse as exc:
        port, option = exc.args
        sys.exit(
            f"app.py: port {port} is already in use, maybe by another copy of this game. "
            f"Stop it or choose another port with {option}."
        )


if __name__ == "__main__":
    run()
