#!/usr/bin/env python
"""Connect Four over WebSockets: the game server, and the web page beside it.

Run ``python app.py`` and open the address it prints. README.md explains the
protocol and the options.

"""

import argparse
import asyncio
import contextlib
import dataclasses
import errno
import functools
import http
import http.server
import itertools
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.frames import Close, CloseCode

from connect4 import PLAYER1, PLAYER2, Connect4

log = logging.getLogger("connect4")

# The largest valid event, an init with a key, is under 100 bytes.
MAX_SIZE = 2048


@dataclasses.dataclass
class Limits:
    """What one server process allows; the command line can change each value."""

    games: int = 10_000  # games in progress at once
    connections: int = 30_000  # open WebSocket connections
    init_timeout: float = 10.0  # seconds for a new connection to send its init
    # People click a few times a second; a client sending more is broken or hostile.
    messages_per_second: float = 20.0
    message_burst: int = 60
    # Seconds that a seat, and a game that nobody is in, wait for a player to
    # come back: a reload or a network blip must not lose the game.
    grace: float = 60.0


LIMITS = Limits()

JOIN = {}  # join key -> Room, while the game lasts
WATCH = {}  # watch key -> Room, the same rooms
SEATS = {}  # seat token -> Room, the same rooms again


# Closes a connection whose seat was taken over by a newer connection with the
# seat's token, e.g. the same page reconnecting: that page must not reconnect.
CLOSE_REPLACED = 4000


class InvalidEvent(Exception):
    """A client sent an event the server can't act on; the message says why.

    Each kind of refusal has a machine-readable reason too, sent beside the
    message, so that pages can tell them apart without reading English.

    """

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


def other(player):
    """The opponent's colour."""
    return PLAYER2 if player == PLAYER1 else PLAYER1


@dataclasses.dataclass(eq=False)
class Seat:
    """A player's place at a game, which outlives its connections."""

    player: str  # colour in the current game: each rematch swaps them
    # Proves who holds the seat when its player reconnects; only they know it.
    token: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(16))
    connection: ServerConnection | None = None
    left_at: float = 0.0  # the event loop's time when the connection closed
    wins: int = 0

    def is_abandoned(self):
        """Tell whether the player left longer ago than the grace period."""
        elapsed = asyncio.get_running_loop().time() - self.left_at
        return self.connection is None and elapsed >= LIMITS.grace


@dataclasses.dataclass(eq=False)
class Room:
    """A game, the seats of its two players and every connection taking part."""

    join_key: str
    watch_key: str
    number: int  # names the game in logs, where the keys must not appear
    host: Seat  # started the game
    guest: Seat | None = None  # came with the join link
    game: Connect4 = dataclasses.field(default_factory=Connect4)
    connected: set = dataclasses.field(default_factory=set)  # players and spectators
    history: list = dataclasses.field(default_factory=list)  # this game's events, encoded
    rematch: set = dataclasses.field(default_factory=set)  # players asking for one
    draws: int = 0
    expiry: asyncio.TimerHandle | None = None  # forgets the room once empty

    @property
    def seats(self):
        """The seats taken so far."""
        return [seat for seat in (self.host, self.guest) if seat is not None]

    def score(self):
        """Games won by whoever plays each colour now, and draws."""
        score = {seat.player: seat.wins for seat in self.seats}
        return {PLAYER1: score.get(PLAYER1, 0), PLAYER2: score.get(PLAYER2, 0), "draws": self.draws}


_room_numbers = itertools.count(1)


class GameConnection(ServerConnection):
    """A server connection that closes with 1008 when its client floods it."""

    # Slots: with more than 30 attributes in its __dict__, websockets' own
    # included, each connection's dict would stop sharing its keys, +1.3 KiB.
    __slots__ = ("refill", "bucket_depth", "bucket_full_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A token bucket of message_burst tokens, earning one back every
        # `refill` nanoseconds, kept as one number: when it would be full again.
        # Integers, so that a burst of exactly message_burst is always allowed.
        self.refill = round(1e9 / LIMITS.messages_per_second)
        self.bucket_depth = LIMITS.message_burst * self.refill  # from empty to full
        self.bucket_full_at = time.monotonic_ns()

    def check_rate(self):
        """Count a message received; fail the connection if there were too many."""
        # A plain method, not a recv() override: this runs for every message.
        now = time.monotonic_ns()
        if self.bucket_full_at < now:
            self.bucket_full_at = now
        # The message spends a token, which takes a refill to earn back.
        self.bucket_full_at += self.refill
        if self.bucket_full_at - now > self.bucket_depth:  # there was no token left
            log.warning("closing a connection from %s: too many messages", self.remote_address[0])
            # Fail the connection as websockets does after a protocol error: the
            # close frame leaves at once and the rest of the flood is dropped
            # unread, where a closing handshake would wait behind all of it.
            close = Close(CloseCode.POLICY_VIOLATION, "too many messages")
            self.protocol.fail(close.code, close.reason)
            self.send_data()
            # Reading may be paused with max_queue full: resume it, so that the
            # client's EOF releases the connection now, not after close_timeout.
            # websockets discards whatever else arrives.
            self.transport.resume_reading()
            raise ConnectionClosedError(None, close)


_encoder = json.JSONEncoder(separators=(",", ":"))  # json.dumps() makes one per call


def encode(**event):
    """Serialize an event once, to send it to any number of connections."""
    return _encoder.encode(event)


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
    if event.get("type") not in ("init", "play", "rematch"):
        raise InvalidEvent('An event needs a "type": "init", "play" or "rematch".')
    return event


async def error(websocket, exc):
    """Tell a client that its last event was refused, and why."""
    await websocket.send(encode(type="error", message=str(exc), reason=exc.reason))


def send_now(websocket, message):
    """Send a message without yielding to the event loop, unlike websocket.send()."""
    # Events sent this way reach the client in the order the server decided
    # them: no other coroutine runs in between.
    if not websocket.transport.is_closing():  # else asyncio warns of each write
        broadcast([websocket], message)


def replay(websocket, room):
    """Bring a connection up to date: who is here, this game's events, rematch requests."""
    for seat in room.seats:
        if seat.connection not in (None, websocket):
            send_now(websocket, encode(type="joined", player=seat.player))
    for message in room.history:
        send_now(websocket, message)
    for player in room.rematch:
        send_now(websocket, encode(type="rematch", player=player))


def announce(room, message):
    """Send an event of the current game to everyone, and keep it for latecomers."""
    room.history.append(message)
    broadcast(room.connected, message)


@functools.cache
def play_event(player, column, row):
    """The encoded play event for a move: there are only 84 of them."""
    return encode(type="play", player=player, column=column, row=row)


def move(room, seat, event):
    """Play a move, then tell everyone about it and about the result, if any."""
    if "column" not in event:
        raise InvalidEvent('A play event needs a "column".')
    try:
        row = room.game.play(seat.player, event["column"])
    except ValueError as exc:
        raise IllegalMove(str(exc)) from None
    announce(room, play_event(seat.player, event["column"], row))
    if not room.game.over:
        return
    if room.game.winner is not None:
        seat.wins += 1
        announce(room, encode(type="win", player=seat.player))
        log.info("game %d: %s won in %d moves", room.number, seat.player, len(room.game.columns))
    else:
        room.draws += 1
        announce(room, encode(type="draw"))
        log.info("game %d: draw", room.number)


def rematch(room, seat):
    """Ask for a rematch; once both players have, start it with colours swapped."""
    if not room.game.over:
        raise RematchRefused("You can ask for a rematch when the game is over.")
    if seat.player in room.rematch:
        raise RematchRefused("You asked already. Waiting for your opponent.")
    room.rematch.add(seat.player)
    broadcast(room.connected, encode(type="rematch", player=seat.player))
    if len(room.rematch) < 2:
        return
    # Red moves first, so swapping colours alternates who starts.
    room.game, room.history, room.rematch = Connect4(), [], set()
    for seat in room.seats:
        seat.player = other(seat.player)
        if seat.connection is not None:
            send_now(seat.connection, init_event(room, seat))
    announce(room, encode(type="reset", score=room.score(), host=room.host.player))
    log.info("game %d: rematch", room.number)


async def play(websocket, room, seat):
    """Receive a connection's events for as long as it lasts and act on them."""
    async for message in websocket:
        websocket.check_rate()
        try:
            event = parse(message)
            if event["type"] == "init":
                raise AlreadyInGame("You're already in a game. Open a new page for another.")
            if seat is None:
                raise NotAPlayer("You're watching this game: only the players can play.")
            if event["type"] == "play":
                move(room, seat, event)
            else:
                rematch(room, seat)
        except InvalidEvent as exc:
            log.debug("game %d: refused an event: %s", room.number, exc)
            await error(websocket, exc)


def init_event(room, seat):
    """The event telling a player its colour, the game's keys and its seat token."""
    return encode(
        type="init",
        join=room.join_key,
        watch=room.watch_key,
        player=seat.player,
        token=seat.token,
    )


@contextlib.contextmanager
def attending(websocket, room, seat=None):
    """Keep a connection in a room while it lasts, in its seat or watching."""
    # A context manager, not a coroutine around play(): each message wakes
    # the handler's chain of awaits, and this keeps the chain as short as the
    # tutorial's: handler, start() or join() or watch(), play().
    # Plain code up to the yield, no await: a seat checked as free by the
    # caller is still free when it is taken.
    if room.expiry is not None:
        room.expiry.cancel()
        room.expiry = None
    replaced = None
    if seat is not None:
        send_now(websocket, init_event(room, seat))
        replaced, seat.connection = seat.connection, websocket
        if replaced is None:
            broadcast(room.connected, encode(type="joined", player=seat.player))
    replay(websocket, room)
    room.connected.add(websocket)
    try:
        if replaced is not None:
            # The player came back on a new connection while the old one
            # looked alive: the new one wins, and the old page is told why.
            # In the background: closing a dead connection takes close_timeout.
            in_background(replaced.close(CLOSE_REPLACED, "seat taken over by a new connection"))
        yield
    finally:
        room.connected.discard(websocket)
        if seat is not None and seat.connection is websocket:
            seat.connection = None
            seat.left_at = asyncio.get_running_loop().time()
            broadcast(room.connected, encode(type="left", player=seat.player, grace=LIMITS.grace))
            log.info("game %d: %s left", room.number, seat.player)
        if not room.connected:
            room.expiry = asyncio.get_running_loop().call_later(LIMITS.grace, forget, room)


_background_tasks = set()


def in_background(coroutine):
    """Run a coroutine without waiting for it, keeping a reference until it's done."""
    task = asyncio.create_task(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


def forget(room):
    """Drop a game that nobody came back to within the grace period."""
    del JOIN[room.join_key], WATCH[room.watch_key]
    for seat in room.seats:
        del SEATS[seat.token]
    log.info("game %d: closed", room.number)


async def start(websocket):
    """Create a game and seat the connection as red; it receives the join and watch keys."""
    if len(JOIN) >= LIMITS.games:
        raise ServerFull("The server has as many games as it can hold. Try again later.")
    room = Room(
        join_key=secrets.token_urlsafe(12),
        watch_key=secrets.token_urlsafe(12),
        number=next(_room_numbers),
        host=Seat(PLAYER1),
    )
    JOIN[room.join_key] = room
    WATCH[room.watch_key] = room
    SEATS[room.host.token] = room
    log.info("game %d: started", room.number)
    with attending(websocket, room, room.host):
        await play(websocket, room, room.host)


def find(keys, key):
    """Return the room that a join, watch or seat key opens, or raise InvalidEvent."""
    # The key comes from the client: it may be any JSON value, even unhashable.
    room = keys.get(key) if isinstance(key, str) else None
    if room is None:
        raise GameNotFound("This game doesn't exist. It may have ended.")
    return room


async def join(websocket, key):
    """Give the connection the second seat in the game that the join key opens."""
    room = find(JOIN, key)
    if room.guest is None:
        room.guest = Seat(other(room.host.player))
    elif room.guest.is_abandoned():
        # Whoever had the seat isn't coming back: their token stops working.
        del SEATS[room.guest.token]
        room.guest.token = secrets.token_urlsafe(16)
    else:
        raise SeatTaken(
            "This game already has two players. Ask them for the watch link to follow it."
        )
    SEATS[room.guest.token] = room
    with attending(websocket, room, room.guest):
        await play(websocket, room, room.guest)


async def resume(websocket, token):
    """Give a player's seat back to them, on a new connection, by its token."""
    room = find(SEATS, token)
    seat = room.host if room.host.token == token else room.guest
    log.info("game %d: %s is back", room.number, seat.player)
    with attending(websocket, room, seat):
        await play(websocket, room, seat)


async def watch(websocket, key):
    """Add the connection as a spectator of the game that the watch key opens."""
    room = find(WATCH, key)
    with attending(websocket, room):
        await play(websocket, room, None)


_open_connections = 0  # websockets' server.connections builds a new set per call


async def handler(websocket):
    """Route a connection to start(), join() or watch(), by its init event."""
    global _open_connections
    _open_connections += 1
    try:
        if _open_connections > LIMITS.connections:
            log.warning("refusing a connection: %d are open", LIMITS.connections)
            await error(websocket, ServerFull("The server is full. Try again later."))
            await websocket.close(CloseCode.TRY_AGAIN_LATER, "server full")
            return
        # A connection that doesn't say what it wants soon holds a socket for nothing.
        deadline = asyncio.get_running_loop().time() + LIMITS.init_timeout
        while True:
            async with asyncio.timeout_at(deadline):
                message = await websocket.recv()
            websocket.check_rate()
            try:
                event = parse(message)
                if event["type"] != "init":
                    raise InvalidEvent("Start, join or watch a game first.")
                # A page that held a seat presents its token; if the seat is
                # gone, the join link, when the page has one, may seat it anew.
                token = event.get("token")
                seat_is_live = isinstance(token, str) and token in SEATS
                if "token" in event and (seat_is_live or "join" not in event):
                    await resume(websocket, event["token"])
                elif "join" in event:
                    await join(websocket, event["join"])
                elif "watch" in event:
                    await watch(websocket, event["watch"])
                else:
                    await start(websocket)
                return
            except InvalidEvent as exc:
                # Not in a game yet: the client may try another init.
                log.debug("refused an init: %s", exc)
                await error(websocket, exc)
    except TimeoutError:
        log.debug("closing a connection that sent no init in time")
        await websocket.close(CloseCode.POLICY_VIOLATION, "no init")
    except ConnectionClosed:
        pass  # the client went away or broke the protocol; websockets closed it
    finally:
        _open_connections -= 1


def check_request(connection, request, *, page_port, origins):
    """Answer GET /healthz, and refuse handshakes from other sites' pages."""
    if request.path == "/healthz":
        return connection.respond(http.HTTPStatus.OK, "OK\n")
    # Browsers let any site open WebSockets anywhere, even on a LAN; the
    # Origin header is how a server tells the game's own page from others.
    if not is_allowed_origin(request.headers, page_port, origins):
        log.info("refused a connection from another site's page")
        return connection.respond(
            http.HTTPStatus.FORBIDDEN, "Only the game's own page may connect.\n"
        )
    return None


def is_allowed_origin(headers, page_port, origins):
    """Tell whether the page that opens a connection is the game's own page."""
    values = headers.get_all("Origin")
    if not values:
        return True  # not a browser: command-line clients send no Origin
    hosts = headers.get_all("Host")
    if len(values) > 1 or len(hosts) != 1:
        return False
    if values[0] in origins:
        return True
    # The page is served from the same host as this server, on page_port,
    # whether that host is reached as localhost, by address or by name.
    try:
        page = urllib.parse.urlsplit(values[0])
        server = urllib.parse.urlsplit("//" + hosts[0])
        default_port = {"http": 80, "https": 443}.get(page.scheme)
        return (
            default_port is not None
            and page.hostname is not None
            and page.hostname == server.hostname
            and (page.port or default_port) == page_port
        )
    except ValueError:  # a malformed host or port
        return False


def websocket_server(host=None, port=8001, *, page_port=8000, origins=(), **options):
    """Create the game's WebSocket server; use it with ``async with``.

    It accepts connections from the page served on page_port of the same host,
    from the other origins listed, and from clients that aren't browsers.

    Any setting can be replaced with options: bench/floor.py swaps the
    handler for a bare relay. CONNECT4_WEBSOCKETS_DEFAULTS=1 in the environment
    keeps websockets' own defaults instead of the four lean settings below: it
    is the baseline of the benchmark (bench/PERFORMANCE.md), not for players.

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
    if os.environ.get("CONNECT4_WEBSOCKETS_DEFAULTS"):
        for name in ("compression", "max_size", "max_queue", "write_limit"):
            del settings[name]
    return serve(host=host, port=port, **settings | options)


# The web page, served by `python app.py` beside the WebSocket server.

FRONT_END_DIR = Path(__file__).resolve().parent
FRONT_END = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/main.js": ("main.js", "text/javascript; charset=utf-8"),
    "/connect4.js": ("connect4.js", "text/javascript; charset=utf-8"),
    "/connect4.css": ("connect4.css", "text/css; charset=utf-8"),
}
# index.html says where the WebSocket server is and where friends can reach
# the page; these are its defaults, which the server replaces when it knows.
WEBSOCKET_META = b'<meta name="websocket" content=":8001">'
INVITE_META = b'<meta name="invite-origin" content="">'


SECURITY_HEADERS = {
    # The page runs its own files only: an injected script or style can't
    # run, and other sites can't frame it to trick clicks.
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    # The page's address holds the join or watch key: never send it onward.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class FrontEndHandler(http.server.BaseHTTPRequestHandler):
    """Serve the page's own files, and nothing else."""

    server_version = "connect4"

    def do_GET(self):
        """Send a front-end file, or 404 for any other path."""
        path = urllib.parse.urlsplit(self.path).path
        if path not in FRONT_END:
            self.send_error(http.HTTPStatus.NOT_FOUND)
            return
        name, content_type = FRONT_END[path]
        body = (FRONT_END_DIR / name).read_bytes()
        if name == "index.html":
            body = self.configure_page(body)
        self.send_response(http.HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        for header, value in SECURITY_HEADERS.items():
            self.send_header(header, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def configure_page(self, body):
        """Point the page at this WebSocket server and at an address friends can use."""
        settings = self.server.settings
        body = body.replace(
            WEBSOCKET_META,
            b'<meta name="websocket" content=":%d">' % settings["websocket_port"],
        )
        # A page opened on localhost would invite a friend to *their* localhost.
        host = urllib.parse.urlsplit("//" + self.headers.get("Host", "")).hostname
        if settings["lan_origin"] and is_loopback(host):
            body = body.replace(
                INVITE_META,
                b'<meta name="invite-origin" content="%s">' % settings["lan_origin"].encode(),
            )
        return body

    def log_request(self, code="-", size="-"):
        """Log at debug level, without the query string, which holds the keys."""
        path = urllib.parse.urlsplit(self.path).path
        log.debug("http %s %s %s", self.command, path, code)

    def log_error(self, format, *args):
        """Keep malformed requests out of the log; they are the client's problem."""
        log.debug("http error: " + format, *args)


class FrontEndServer(http.server.ThreadingHTTPServer):
    """The HTTP server for the page, on IPv6 and IPv4 alike when asked to."""

    daemon_threads = True

    def __init__(self, address, settings, dual_stack=False):
        if dual_stack:
            self.address_family = socket.AF_INET6
        self.dual_stack = dual_stack
        self.settings = settings
        super().__init__(address, FrontEndHandler)

    def server_bind(self):
        """Accept IPv4 connections on the IPv6 socket too."""
        if self.dual_stack:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def is_loopback(host):
    """Tell whether a host name or address only reaches this machine."""
    return host is not None and (
        host == "localhost" or host.startswith("127.") or host == "::1"
    )


def lan_address():
    """Guess the address of this machine on the local network, or return None."""
    # Connecting a UDP socket sends nothing: it only asks the kernel which
    # interface would route to that (documentation-only) address.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if is_loopback(address) or address == "0.0.0.0" else address


def create_front_end(host, port):
    """Bind the page's HTTP server; it serves once its thread starts."""
    all_interfaces = host in (None, "", "0.0.0.0", "::")
    settings = {"websocket_port": 8001, "lan_origin": None}
    if all_interfaces and socket.has_dualstack_ipv6():
        httpd = FrontEndServer(("::", port), settings, dual_stack=True)
    else:
        httpd = FrontEndServer((host or "", port), settings)
    lan = lan_address() if all_interfaces else None
    if lan:
        settings["lan_origin"] = f"http://{lan}:{httpd.server_address[1]}"
        log.info("players on your network can open %s/", settings["lan_origin"])
    return httpd


# Running the server.


def url_host(host):
    """The host part of a URL that reaches a server listening on host."""
    if host in (None, "", "0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host


class PortInUse(Exception):
    """A port the server needs is taken by another program."""


@contextlib.contextmanager
def explain_port_in_use(port, option):
    """Turn the error of binding a taken port into PortInUse, naming the option."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(port, option) from None
        raise


async def main(args):
    """Serve the game, and the page unless told not to, until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    httpd = None
    page_port = args.http_port
    if args.http:
        with explain_port_in_use(args.http_port, "--http-port"):
            httpd = create_front_end(args.host, args.http_port)
        page_port = httpd.server_address[1]
    with explain_port_in_use(args.port, "--port"):
        server = await websocket_server(
            args.host, args.port, page_port=page_port, origins=args.origin
        )
    websocket_port = server.sockets[0].getsockname()[1]

    if httpd is not None:
        httpd.settings["websocket_port"] = websocket_port
        threading.Thread(target=httpd.serve_forever, name="front-end", daemon=True).start()
        print(
            f"Connect Four: open http://{url_host(args.host)}:{page_port}/ "
            f"in your browser (WebSocket server on port {websocket_port}).",
            flush=True,
        )
    else:
        print(
            f"Connect Four: WebSocket server on port {websocket_port}. "
            f"Serve the page yourself, e.g. with: python -m http.server",
            flush=True,
        )

    # Leaving this block closes every connection with 1001 (going away).
    async with server:
        await stop.wait()
        log.info("shutting down")
    if httpd is not None:
        httpd.shutdown()
        httpd.server_close()


def event_loop_factory():
    """Choose the event loop: uvloop, which is faster, when it is installed."""
    if os.environ.get("CONNECT4_WEBSOCKETS_DEFAULTS"):
        return None  # the benchmark's baseline: see websocket_server()
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
    parser.add_argument("-v", "--verbose", action="store_true", help="log every event")
    return parser.parse_args(argv)


def run(argv=None):
    """Run the server from the command line."""
    args = parse_args(argv)
    LIMITS.games, LIMITS.connections = args.max_games, args.max_connections
    LIMITS.grace = args.grace
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        level=logging.DEBUG if args.verbose else logging.INFO,
    )
    # websockets logs every connection at INFO: too much for a game server.
    logging.getLogger("websockets").setLevel(logging.INFO if args.verbose else logging.WARNING)
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(main(args))
    except PortInUse as exc:
        port, option = exc.args
        sys.exit(
            f"app.py: port {port} is already in use, maybe by another copy of this game. "
            f"Stop it or choose another port with {option}."
        )


if __name__ == "__main__":
    run()
