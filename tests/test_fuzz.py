"""Fuzzing and soak tests of the game server, from the hardening issue.

The fuzz tests run a fresh server for each hypothesis example and drive it
with up to five client connections at once, in one or two games. An example
opens its games, then takes random steps, each by the client in one of five
slots: start a game; join it, watch it or resume a seat with the real keys
and tokens of a game heard of; play any column; ask for a rematch; send random
JSON, random events, random text or binary frames or an oversized message;
disconnect cleanly or drop the connection. Between random steps, games move
on: the player to move plays a legal column, or asks for a rematch. Clients
don't wait for answers, so the server handles several connections' events
interleaved. A second family of examples adds a flood. After every example:

- the server closed each connection only with the code its client asked for:
  1000 when the client closed it, 1001 when the server shut down, 1008 after a
  flood, 1009 after an oversized message, 4000 when another connection took
  over its seat with its token; never 1011, never unprompted;
- nothing was logged at ERROR, no record carried a traceback, and the only
  warnings were about floods;
- the moves each client heard make legal games: replayed through a fresh
  engine, each one is accepted and lands on the row the server announced, and
  wins and draws are announced exactly when the engine sees them; the players
  of a room heard the same moves in each of its games;
- once every connection has closed and the grace period has passed, no game
  is left in ``app.JOIN``, ``app.WATCH`` or ``app.SEATS``.

Run with ``--hypothesis-show-statistics`` to see how deep the examples went.

The soak test plays 1,200 full games, to a win or a draw, in a thousand rooms,
some with a spectator, some with a rematch, against one server, and checks
that what the process holds comes back to where it was after a warm-up round:
objects, memory blocks and RSS. ``pytest -s`` prints the figures.

"""

import asyncio
import collections
import contextlib
import dataclasses
import gc
import json
import logging
import os
import random
import sys
import time
from unittest import mock

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import app
from connect4 import COLUMNS, PLAYER1, PLAYER2, ROWS, Connect4
from games.core import Room
from server.hardening import MAX_SIZE, GameConnection
from conftest import DRAW, MS, RED_WINS, play_moves, receive, send

# A client sends at most this many messages outside a flood, which keeps it
# under the server's burst allowance however fast an example runs.
MESSAGE_BUDGET = app.LIMITS.message_burst - 5
# A flood sends this many messages back to back: far beyond the burst.
FLOOD = 3 * app.LIMITS.message_burst
# Each example takes tens of milliseconds: skip the explain phase, which
# replays many variants of a failing example after shrinking it.
FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=set(Phase) - {Phase.explain},
)
# Close codes: client closed, server shut down, flood, oversized message.
NORMAL, GOING_AWAY, POLICY_VIOLATION, MESSAGE_TOO_BIG = 1000, 1001, 1008, 1009
# The fuzz test's clients answer a close at once; but a connection whose
# handler stopped reading with messages queued waits close_timeout to close
# (see test_a_flooding_connection_is_released_at_once), so keep it short.
FUZZ_CLOSE_TIMEOUT = 0.5


# Recording logs: the function-scoped caplog fixture would span every example.


class RecordingHandler(logging.Handler):
    """Keep every record; format each one, so that a broken log call fails loudly."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        record.getMessage()
        self.records.append(record)


@contextlib.contextmanager
def recorded_logs():
    """Record every log record, the server's own DEBUG records included."""
    handler = RecordingHandler()
    root, server_log = logging.getLogger(), logging.getLogger("connect4")
    level = server_log.level
    root.addHandler(handler)
    server_log.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        server_log.setLevel(level)
        root.removeHandler(handler)


def assert_no_error_logged(records):
    """Check that nothing was logged at ERROR or with a traceback, nor warned but floods."""
    errors = [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [f"{r.name} {r.levelname}: {r.getMessage()}" for r in errors]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert all("too many messages" in message for message in warnings), warnings


# Checking what the clients heard.


def game_events(client):
    """The events of the games that a client heard, in order: moves, results, resets."""
    return [e for e in client.events if e["type"] in ("play", "win", "draw", "reset")]


def check_moves(events, cut_short=False):
    """Replay the moves a client heard through a fresh engine, with their results.

    A win or a draw must follow its move at once; only a client that dropped
    its connection may miss it. A reset starts a new game.

    """
    game, result = Connect4(), None  # result: the event the engine expects next
    for event in events:
        if result is not None:
            assert event == result, (event, game.moves)
            result = None
        elif event["type"] == "reset":
            game = Connect4()
        else:
            assert event["type"] == "play", (event, game.moves)
            row = game.play(event["player"], event["column"])  # raises if illegal
            assert row == event["row"], (event, game.moves)
            if game.winner is not None:
                result = {"type": "win", "player": game.winner}
            elif game.draw:
                result = {"type": "draw"}
    assert result is None or cut_short, (result, game.moves)


def games_heard(events):
    """Split a client's game events by game: each reset's score counts the games before."""
    games = collections.defaultdict(list)
    number = 0  # unless the client came after a rematch, when a reset comes first
    for event in events:
        if event["type"] == "reset":
            number = sum(event["score"].values())
        else:
            games[number].append(event)
    return games


def check_players_agree(clients):
    """Check that the players in each room heard the same moves, up to when they left."""
    heard = collections.defaultdict(list)  # (watch key, game number) -> each one's events
    for client in clients:
        inits = client.inits()
        if inits:  # a player, who only ever sits in one room
            for number, events in games_heard(game_events(client)).items():
                heard[inits[0]["watch"], number].append(events)
    for each in heard.values():
        longest = max(each, key=len)
        for events in each:
            assert events == longest[: len(events)], (events, longest)


# The fuzz test's clients and steps.


@dataclasses.dataclass(eq=False)
class Client:
    """One client connection of a fuzz example, and everything it heard."""

    websocket: ClientConnection
    events: list = dataclasses.field(default_factory=list)
    heard: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)  # an event or EOF
    reader: asyncio.Task | None = None
    sent: int = 0
    # Once done, the client takes no more steps: a new connection takes its slot.
    done: bool = False
    dropped: bool = False  # closed the TCP connection without a closing handshake
    expected_close: int | None = None  # the code the server must close with, once done

    def inits(self):
        """The init events this client heard: its seat, then its colour after each rematch."""
        return [event for event in self.events if event["type"] == "init"]

    def current_game(self):
        """The game this client last heard of, replayed, and whether it asked for a rematch."""
        game, asked = Connect4(), False
        player = self.inits()[-1]["player"]
        for event in self.events:
            if event["type"] == "reset":
                game, asked = Connect4(), False
            elif event["type"] == "play":
                game.play(event["player"], event["column"])
            elif event == {"type": "rematch", "player": player}:
                asked = True
        return game, asked


class FuzzRun:
    """The clients of one fuzz example, by slot, and the games they heard of."""

    def __init__(self, uri):
        self.uri = uri
        self.slots = {}  # slot -> the client taking that slot's steps
        self.clients = []  # every client opened, in order
        self.games = {}  # watch key -> the first init event heard of each game, with its keys
        self.tokens = []  # the seat tokens heard, each once
        self.resumed = set()  # tokens sent to take over a seat

    async def client(self, slot):
        """The client in a slot, connecting a new one if there's none or it's done."""
        client = self.slots.get(slot)
        if client is None or client.done:
            client = Client(await connect(self.uri, open_timeout=5000 * MS, close_timeout=2000 * MS))
            client.reader = asyncio.create_task(self.read(client))
            self.slots[slot] = client
            self.clients.append(client)
        return client

    async def read(self, client):
        """Collect what the server sends a client, until the connection closes."""
        try:
            async for message in client.websocket:
                event = json.loads(message)
                client.events.append(event)
                client.heard.set()
                if event["type"] == "init":
                    self.games.setdefault(event["watch"], event)
                    if event["token"] not in self.tokens:
                        self.tokens.append(event["token"])
        except ConnectionClosed:
            pass
        finally:
            client.heard.set()

    async def send(self, client, message):
        """Send a message within the client's budget, telling whether it was sent.

        An oversized message ends the client.

        """
        if client.sent >= MESSAGE_BUDGET or client.reader.done():
            return False
        client.sent += 1
        size = len(message.encode() if isinstance(message, str) else message)
        if size > MAX_SIZE:
            client.done, client.expected_close = True, MESSAGE_TOO_BIG
        # If the server closed the connection unprompted, the close code says so.
        with contextlib.suppress(ConnectionClosed):
            await client.websocket.send(message)
        return True

    async def send_and_wait(self, client, message):
        """Send a message and wait a little for the answer, so that later steps know it."""
        client.heard.clear()
        if await self.send(client, message):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.heard.wait(), 500 * MS)

    def heard_of(self, index, field, unknown):
        """A key of a game heard of, chosen by index, or unknown if none was heard."""
        games = list(self.games.values())
        return games[index % len(games)][field] if games else unknown

    def players(self, watch_key):
        """The connected clients that hold a seat in a game, and their colour now."""
        for client in self.clients:
            inits = client.inits()
            if inits and inits[-1]["watch"] == watch_key and client.websocket.close_code is None:
                yield client, inits[-1]["player"]

    def close_codes(self):
        """Each client's expected close code, the codes it may also get, and its actual one."""
        for client in self.clients:
            if not client.dropped:
                # A later connection presenting its token takes over its seat.
                tokens = {event["token"] for event in client.inits()}
                replaced = {app.CLOSE_REPLACED} if tokens & self.resumed else set()
                yield client.expected_close, replaced, client.websocket.close_code

    # Steps. Most are taken by the client in a slot, connected on its first step.

    async def start(self, slot):
        # Wait for the keys, so that the next steps may join this game.
        await self.send_and_wait(await self.client(slot), json.dumps({"type": "init"}))

    async def join(self, slot, index):
        key = self.heard_of(index, "join", "no-such-game")
        # Wait for the seat, so that the next steps may play in it.
        await self.send_and_wait(await self.client(slot), json.dumps({"type": "init", "join": key}))

    async def watch(self, slot, index):
        key = self.heard_of(index, "watch", "no-such-game")
        await self.send(await self.client(slot), json.dumps({"type": "init", "watch": key}))

    async def resume(self, slot, index, with_join_key):
        token = self.tokens[index % len(self.tokens)] if self.tokens else "no-such-token"
        self.resumed.add(token)
        event = {"type": "init", "token": token}
        if with_join_key:
            event["join"] = self.heard_of(index, "join", "no-such-game")
        await self.send(await self.client(slot), json.dumps(event))

    async def play(self, slot, column):
        await self.send(await self.client(slot), json.dumps({"type": "play", "column": column}))

    async def rematch(self, slot):
        await self.send(await self.client(slot), json.dumps({"type": "rematch"}))

    async def message(self, slot, message):
        await self.send(await self.client(slot), message)

    async def flood(self, slot):
        client = await self.client(slot)
        client.done, client.expected_close = True, POLICY_VIOLATION
        with contextlib.suppress(ConnectionClosed):
            for _ in range(FLOOD):
                await client.websocket.send('{"type": "play", "column": 0}')
        # The server's answer comes before anything else happens, a shutdown say.
        await asyncio.wait([client.reader], timeout=2000 * MS)

    async def close(self, slot):
        client = await self.client(slot)
        client.done, client.expected_close = True, NORMAL
        await client.websocket.close()

    async def drop(self, slot):
        client = await self.client(slot)
        client.done = client.dropped = True
        client.websocket.transport.abort()

    async def move(self, index, choice):
        """In a game heard of, the player to move plays a legal column, chosen by choice.

        Once the game is over, a player who didn't yet asks for a rematch instead.
        This moves games on, to wins and rematches, between the random steps.

        """
        for client, player in self.players(self.heard_of(index, "watch", None)):
            game, asked = client.current_game()
            if game.over and not asked:
                await self.send_and_wait(client, json.dumps({"type": "rematch"}))
                return
            if not game.over and game.next_player == player:
                heights = collections.Counter(column for _, column, _ in game.moves)
                free = [column for column in range(COLUMNS) if heights[column] < ROWS]
                column = free[choice % len(free)]
                await self.send_and_wait(client, json.dumps({"type": "play", "column": column}))
                return

    async def pause(self, seconds):
        await asyncio.sleep(seconds)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
columns = st.integers(0, COLUMNS - 1)
# Events of the right shape with random contents: junk keys, random columns.
random_events = st.fixed_dictionaries(
    {"type": st.sampled_from(["init", "play", "rematch"]) | json_values},
    optional={
        "column": columns | json_values,
        "join": json_values,
        "watch": json_values,
        "token": json_values,
    },
)
messages = st.one_of(
    random_events.map(json.dumps),
    json_values.map(json.dumps),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=50),  # UTF-8 can't carry Cs
    st.binary(max_size=50),
    st.integers(MAX_SIZE + 1, MAX_SIZE + 100).map(lambda size: "x" * size),
)
slots = st.integers(0, 4)
game_indexes = st.integers(0, 2)  # which of the games heard of
# A step is an action and its arguments.
random_steps = st.one_of(
    st.tuples(st.just("start"), slots),
    st.tuples(st.just("join"), slots, game_indexes),
    st.tuples(st.just("watch"), slots, game_indexes),
    st.tuples(st.just("resume"), slots, game_indexes, st.booleans()),
    st.tuples(st.just("play"), slots, columns),
    st.tuples(st.just("rematch"), slots),
    st.tuples(st.just("message"), slots, messages),
    st.tuples(st.just("close"), slots),
    st.tuples(st.just("drop"), slots),
    st.tuples(st.just("pause"), st.sampled_from([0.001, 0.01, 0.03])),
)
moves = st.tuples(st.just("move"), game_indexes, columns)


def example_steps(openings, rounds):
    """Open games, red, yellow and maybe a spectator by slot; then each random step, then moves."""
    steps = []
    for number, (red, yellow, spectator) in enumerate(openings):
        steps += [("start", red), ("join", yellow, number)]
        if spectator is not None:
            steps.append(("watch", spectator, number))
    for random_step, moves_after in rounds:
        steps += [random_step, *moves_after]
    return steps


fuzz_steps = st.builds(
    example_steps,
    st.lists(st.tuples(slots, slots, st.none() | slots), min_size=1, max_size=2),
    st.lists(st.tuples(random_steps, st.lists(moves, max_size=6)), min_size=1, max_size=25),
)


def label_coverage(run):
    """Tell hypothesis's statistics how far into the game an example got."""
    heard = [event["type"] for client in run.clients for event in client.events]
    moves = max((len(game_events(client)) for client in run.clients), default=0)
    hypothesis.event(f"longest game heard: {min(moves // 5 * 5, 20)}+ events")
    for kind in ("win", "draw", "reset", "rematch", "left"):
        if kind in heard:
            hypothesis.event(f"someone heard {kind}")
    if any(client.websocket.close_code == app.CLOSE_REPLACED for client in run.clients):
        hypothesis.event("a seat was taken over")


async def handlers_returned(handlers, timeout=5000 * MS):
    """Wait until these connection handlers have returned, having left their games."""
    if handlers:
        await asyncio.wait(handlers, timeout=timeout)


async def assert_no_game_left():
    """Once the grace period has passed, check that the games nobody is in are forgotten."""
    await asyncio.sleep(app.LIMITS.grace)
    await asyncio.sleep(0)  # the timers due run first
    assert app.JOIN == {} and app.WATCH == {} and app.SEATS == {}


@contextlib.contextmanager
def fresh_games():
    """Start with no game, whatever an example that failed before left behind."""
    with contextlib.ExitStack() as stack:
        for games in (app.JOIN, app.WATCH, app.SEATS):
            stack.enter_context(mock.patch.dict(games, clear=True))
        yield


async def fuzz(steps, shutdown_with_clients):
    """Run an example's steps against a fresh server, then check what everyone heard."""
    async with asyncio.timeout(30_000 * MS):
        async with app.websocket_server("127.0.0.1", 0, close_timeout=FUZZ_CLOSE_TIMEOUT) as server:
            host, port = server.sockets[0].getsockname()[:2]
            run = FuzzRun(f"ws://{host}:{port}/")
            for action, *arguments in steps:
                await getattr(run, action)(*arguments)
            open_clients = [client for client in run.clients if not client.done]
            for client in open_clients:
                client.expected_close = GOING_AWAY if shutdown_with_clients else NORMAL
            if not shutdown_with_clients:
                await asyncio.gather(*[client.websocket.close() for client in open_clients])
                await handlers_returned(set(server.handler_tasks))
                await assert_no_game_left()
        await asyncio.gather(*[client.reader for client in run.clients])
        await assert_no_game_left()

    unexpected = [codes for codes in run.close_codes() if codes[2] not in {codes[0], *codes[1]}]
    assert not unexpected, f"(expected, or else, actual) close codes: {unexpected}"
    for client in run.clients:
        check_moves(game_events(client), cut_short=client.dropped)
    check_players_agree(run.clients)
    return run


@settings(FUZZ_SETTINGS, max_examples=150)
@given(
    steps=fuzz_steps,
    shutdown_with_clients=st.booleans(),
    grace=st.sampled_from([0, 0.02]),
)
def test_fuzzing_the_protocol_with_several_clients(steps, shutdown_with_clients, grace):
    with recorded_logs() as records, fresh_games(), mock.patch.object(app.LIMITS, "grace", grace):
        run = asyncio.run(fuzz(steps, shutdown_with_clients))
    assert_no_error_logged(records)
    label_coverage(run)


@settings(FUZZ_SETTINGS, max_examples=10)
@given(
    steps=fuzz_steps,
    flood_at=st.integers(0, 100),
    flooder=slots,
    shutdown_with_clients=st.booleans(),
)
def test_fuzzing_with_a_client_flooding(steps, flood_at, flooder, shutdown_with_clients):
    steps.insert(flood_at, ("flood", flooder))
    with recorded_logs() as records, fresh_games():
        asyncio.run(fuzz(steps, shutdown_with_clients))
    assert_no_error_logged(records)


async def test_a_flooding_connection_is_released_at_once(server, uri):
    run = FuzzRun(uri)
    await run.flood(slot=0)
    assert run.clients[0].websocket.close_code == POLICY_VIOLATION
    # The server said all it had to: it needn't wait for the client, nor read the flood.
    await handlers_returned(set(server.handler_tasks), timeout=1000 * MS)
    assert not server.handler_tasks, "the server holds a connection it failed for close_timeout"


async def test_a_client_dropping_during_its_replay_causes_no_warning(server, uri, game, caplog):
    await game.play_all(RED_WINS[:6])  # a latecomer's replay: two joined, six moves
    others = set(server.handler_tasks)
    latecomer = await connect(uri)
    await send(latecomer, type="init", watch=game.watch_key)
    latecomer.transport.abort()  # the replay meets a socket the client already reset
    await handlers_returned(set(server.handler_tasks) - others)
    # Found by the fuzz test: asyncio warns of each write to a lost connection past the fifth.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# Soak: thousands of games against one server.

SOAK_ROOMS = 1000  # a fifth of them play a rematch too: 1,200 games
WARM_UP_ROOMS = 200
SOAK_CONCURRENCY = 50
# Whatever a room leaves behind, a thousand rooms leave a thousand times over;
# a one-time cache or a resized table stays the same size however many come.
OBJECTS_PER_ROOM = 0.1  # objects tracked by the garbage collector
BLOCKS_PER_ROOM = 0.5  # memory blocks allocated by Python: any object, any string
RSS_GROWTH_LIMIT = 32 * 2**20  # the allocator keeps some memory, but not this much


def random_full_games(count, seed):
    """Columns of games played at random to a quick win, and of one game played to a draw."""
    rng = random.Random(seed)
    games = [DRAW]
    while len(games) < count:
        game = Connect4()
        while not game.over:
            heights = collections.Counter(column for _, column, _ in game.moves)
            free = [column for column in range(COLUMNS) if heights[column] < ROWS]
            game.play(game.next_player, rng.choice(free))
        if len(game.moves) <= 12:  # the cost of the soak is in its moves
            games.append([column for _, column, _ in game.moves])
    return games


async def rematch(players, everyone):
    """Ask for a rematch from both players and return them with their colours swapped."""
    for player in (PLAYER1, PLAYER2):
        await send(players[player], type="rematch")
        for websocket in everyone:
            assert await receive(websocket) == {"type": "rematch", "player": player}
    for player, websocket in players.items():
        assert (await receive(websocket))["player"] != player  # init, swapped
    for websocket in everyone:
        assert (await receive(websocket))["type"] == "reset"
    return {PLAYER1: players[PLAYER2], PLAYER2: players[PLAYER1]}


async def play_room(uri, games, with_spectator, with_rematch):
    """Open a room on new connections, play a game or two in it, then leave."""
    async with contextlib.AsyncExitStack() as stack:
        red = await stack.enter_async_context(connect(uri))
        await send(red, type="init")
        keys = await receive(red)
        yellow = await stack.enter_async_context(connect(uri))
        await send(yellow, type="init", join=keys["join"])
        assert (await receive(yellow))["player"] == PLAYER2
        assert await receive(yellow) == {"type": "joined", "player": PLAYER1}
        assert await receive(red) == {"type": "joined", "player": PLAYER2}
        players = {PLAYER1: red, PLAYER2: yellow}
        everyone = [red, yellow]
        if with_spectator:
            spectator = await stack.enter_async_context(connect(uri))
            await send(spectator, type="init", watch=keys["watch"])
            for player in (PLAYER1, PLAYER2):
                assert await receive(spectator) == {"type": "joined", "player": player}
            everyone.append(spectator)
        await play_moves(players[PLAYER1], players[PLAYER2], games[0], everyone[2:])
        if with_rematch:
            players = await rematch(players, everyone)
            await play_moves(players[PLAYER1], players[PLAYER2], games[1], everyone[2:])


async def play_rooms(server, uri, count, games):
    """Play count rooms, SOAK_CONCURRENCY at a time, then wait until all are forgotten."""
    semaphore = asyncio.Semaphore(SOAK_CONCURRENCY)

    async def one(number):
        async with semaphore:
            columns = [games[number % len(games)], games[(number + 1) % len(games)]]
            await play_room(uri, columns, number % 3 == 0, number % 5 == 0)

    await asyncio.gather(*[one(number) for number in range(count)])
    await handlers_returned(set(server.handler_tasks))
    await asyncio.sleep(0)  # the tests have no grace period: empty rooms go at once


def memory_in_use():
    """Objects the garbage collector tracks, blocks Python allocated, and the process's RSS."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return len(gc.get_objects()), sys.getallocatedblocks(), rss


def count_instances(cls):
    """Count the objects of a class that the garbage collector knows of."""
    return sum(1 for obj in gc.get_objects() if isinstance(obj, cls))


async def test_soak_thousands_of_games_leave_no_memory_behind(server, uri):
    games = random_full_games(20, seed=4)
    logging.disable(logging.INFO)  # captured log records would pile up, were it on
    try:
        await play_rooms(server, uri, WARM_UP_ROOMS, games)
        objects_before, blocks_before, rss_before = memory_in_use()
        started = time.perf_counter()
        await play_rooms(server, uri, SOAK_ROOMS, games)
        elapsed = time.perf_counter() - started
        objects_after, blocks_after, rss_after = memory_in_use()
    finally:
        logging.disable(logging.NOTSET)
    print(
        f"\nsoak: {SOAK_ROOMS} rooms in {elapsed:.1f} s, after {WARM_UP_ROOMS} to warm up; "
        f"objects {objects_before} -> {objects_after} ({objects_after - objects_before:+}); "
        f"blocks {blocks_before} -> {blocks_after} ({blocks_after - blocks_before:+}); "
        f"RSS {rss_before / 2**20:.1f} -> {rss_after / 2**20:.1f} MiB "
        f"({(rss_after - rss_before) / 2**20:+.1f} MiB)"
    )
    assert app.JOIN == {} and app.WATCH == {} and app.SEATS == {}
    assert count_instances(Room) == count_instances(GameConnection) == 0
    assert objects_after - objects_before < OBJECTS_PER_ROOM * SOAK_ROOMS
    assert blocks_after - blocks_before < BLOCKS_PER_ROOM * SOAK_ROOMS
    assert rss_after - rss_before < RSS_GROWTH_LIMIT
