"""app.py: the game server, tested with a real server and real WebSocket clients."""

import asyncio
import contextlib
import json
import random
import logging
import os
import signal
import socket
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import app
from connect4 import Connect4
from server import command_line
from server.hardening import MAX_SIZE
from solver import Position, Solver
from solver.search import IMPLEMENTATIONS
from conftest import (
    DRAW, MS, RED_WINS, ROOT, assert_nothing_received, http_get, play_moves, receive, send,
)


# Starting, joining and watching.


async def test_start_sends_secret_join_and_watch_keys(client):
    red = await client()
    await send(red, type="init")
    event = await receive(red)
    assert event["type"] == "init" and event["player"] == "red"
    assert event["join"] != event["watch"]
    assert len(event["join"]) >= 16 and len(event["watch"]) >= 16
    assert app.JOIN[event["join"]] is app.WATCH[event["watch"]]


async def test_every_game_gets_its_own_keys(client):
    keys = set()
    for _ in range(20):
        websocket = await client()
        await send(websocket, type="init")
        event = await receive(websocket)
        keys |= {event["join"], event["watch"]}
    assert len(keys) == 40


async def test_join_seats_yellow_and_tells_red(client):
    red = await client()
    await send(red, type="init")
    init = await receive(red)
    yellow = await client()
    await send(yellow, type="init", join=init["join"])
    yellow_init = await receive(yellow)
    assert yellow_init == {
        "type": "init",
        "join": init["join"],
        "watch": init["watch"],
        "player": "yellow",
        "token": yellow_init["token"],
    }
    # Each seat has its own secret token.
    assert len(yellow_init["token"]) >= 16 and yellow_init["token"] != init["token"]
    assert await receive(yellow) == {"type": "joined", "player": "red"}
    assert await receive(red) == {"type": "joined", "player": "yellow"}


async def test_spectator_learns_who_is_seated_and_gets_no_keys(client):
    red = await client()
    await send(red, type="init")
    init = await receive(red)
    spectator = await client()
    await send(spectator, type="init", watch=init["watch"])
    assert await receive(spectator) == {"type": "joined", "player": "red"}
    await assert_nothing_received(spectator)


# Playing.


async def test_a_move_reaches_everyone_with_its_row(game):
    assert await game.play("red", 3) == {"type": "play", "player": "red", "column": 3, "row": 0}
    assert await game.play("yellow", 3) == {
        "type": "play",
        "player": "yellow",
        "column": 3,
        "row": 1,
    }


async def test_red_may_move_before_yellow_joins(client):
    red = await client()
    await send(red, type="init")
    await receive(red)
    await send(red, type="play", column=2)
    assert await receive(red) == {"type": "play", "player": "red", "column": 2, "row": 0}


async def test_a_win_is_announced_to_everyone(game):
    # play_all checks that everyone hears it.
    assert await game.play_all(RED_WINS) == {"type": "win", "player": "red"}


async def test_yellow_can_win(game):
    assert await game.play_all([0, 1, 0, 1, 0, 1, 2, 1]) == {"type": "win", "player": "yellow"}


async def test_a_full_board_without_four_is_a_draw(game):
    await game.play_all(DRAW[:-1])
    last = await game.play("yellow", DRAW[-1])
    assert last["row"] == 5
    for websocket in game.everyone:
        assert await receive(websocket) == {"type": "draw"}


@pytest.mark.parametrize("moves", [RED_WINS, DRAW], ids=["win", "draw"])
async def test_no_move_after_the_game_is_over(game, moves):
    await game.play_all(moves)
    player = game.yellow if len(moves) % 2 else game.red
    await send(player, type="play", column=6)
    assert await receive(player) == {"type": "error", "message": "The game is over.", "reason": "illegal-move"}
    await assert_nothing_received(game.spectator)


async def test_playing_out_of_turn_is_refused(game):
    await send(game.yellow, type="play", column=0)
    assert await receive(game.yellow) == {"type": "error", "message": "It isn't your turn.", "reason": "illegal-move"}
    await game.play("red", 0)
    await send(game.red, type="play", column=0)
    assert await receive(game.red) == {"type": "error", "message": "It isn't your turn.", "reason": "illegal-move"}
    await assert_nothing_received(game.spectator)


async def test_a_full_column_is_refused(game):
    await game.play_all([4, 4, 4, 4, 4, 4])
    await send(game.red, type="play", column=4)
    assert await receive(game.red) == {"type": "error", "message": "This column is full.", "reason": "illegal-move"}
    # Nothing changed: it is still red's turn.
    assert (await game.play("red", 5))["row"] == 0


async def test_spectators_cannot_play(game):
    await send(game.spectator, type="play", column=0)
    event = await receive(game.spectator)
    assert event["type"] == "error" and event["reason"] == "spectator"
    assert "watching" in event["message"]
    assert (await game.play("red", 0))["row"] == 0


# Bad input: an error event, an open connection, an unchanged game.

BAD_EVENTS = {
    "invalid JSON": "{type: play}",
    "truncated JSON": '{"type": "play", "column": 3',
    "empty message": "",
    "JSON array": '["play", 3]',
    "JSON string": '"play"',
    "JSON number": "3",
    "JSON null": "null",
    "deeply nested JSON": "[" * 1000 + "]" * 1000,
    "missing type": '{"column": 3}',
    "unknown type": '{"type": "move", "column": 3}',
    "type not a string": '{"type": ["play"], "column": 3}',
    "type null": '{"type": null, "column": 3}',
    "missing column": '{"type": "play"}',
    "column null": '{"type": "play", "column": null}',
    "column string": '{"type": "play", "column": "3"}',
    "column float": '{"type": "play", "column": 3.0}',
    "column fraction": '{"type": "play", "column": 2.5}',
    "column true": '{"type": "play", "column": true}',
    "column false": '{"type": "play", "column": false}',
    "column negative": '{"type": "play", "column": -1}',
    "column 7": '{"type": "play", "column": 7}',
    "column huge": '{"type": "play", "column": ' + "9" * 1000 + "}",
    "column too many digits": '{"type": "play", "column": ' + "9" * 2000 + "}",
    "column NaN": '{"type": "play", "column": NaN}',
    "column Infinity": '{"type": "play", "column": Infinity}',
    "column list": '{"type": "play", "column": [3]}',
    "column object": '{"type": "play", "column": {"column": 3}}',
    "second init": '{"type": "init"}',
    "init with a join key": '{"type": "init", "join": "whatever"}',
    "invalid UTF-8 as binary": b"\xff\xfe",
    "binary frame": b'{"type": "play", "column": 3}',
}


@pytest.mark.parametrize("message", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
async def test_bad_input_gets_an_error_and_changes_nothing(game, message, caplog):
    await game.play("red", 3)
    await game.play("yellow", 3)
    await game.red.send(message)
    event = await receive(game.red)
    assert event["type"] == "error" and event["message"]
    # Nobody else heard of it, and the game goes on where it was.
    await assert_nothing_received(game.yellow)
    await assert_nothing_received(game.spectator)
    assert await game.play("red", 3) == {"type": "play", "player": "red", "column": 3, "row": 2}
    # A client's mistake is not the server's: no traceback, no warning.
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not [record for record in caplog.records if record.exc_info]


BAD_INITS = {
    "play before init": '{"type": "play", "column": 3}',
    "unknown join key": '{"type": "init", "join": "no-such-game"}',
    "unknown watch key": '{"type": "init", "watch": "no-such-game"}',
    "join key not a string": '{"type": "init", "join": 42}',
    "join key unhashable": '{"type": "init", "join": ["key"]}',
    "watch key null": '{"type": "init", "watch": null}',
    "invalid JSON": "init",
    "binary frame": b'{"type": "init"}',
}


@pytest.mark.parametrize("message", BAD_INITS.values(), ids=BAD_INITS.keys())
async def test_bad_init_gets_an_error_and_the_client_may_try_again(client, message):
    websocket = await client()
    await websocket.send(message)
    assert (await receive(websocket))["type"] == "error"
    await send(websocket, type="init")
    assert (await receive(websocket))["player"] == "red"


async def test_a_message_over_max_size_closes_that_connection_only(game, caplog):
    await game.red.send(json.dumps({"type": "play", "column": 0, "pad": "x" * MAX_SIZE}))
    with pytest.raises(ConnectionClosed) as closed:
        await receive(game.red)
    assert closed.value.rcvd.code == 1009
    for websocket in (game.yellow, game.spectator):
        assert await receive(websocket) == {"type": "left", "player": "red", "grace": 0}
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


# Seats.


async def test_a_second_yellow_is_refused_while_yellow_is_connected(game, client):
    intruder = await client()
    await send(intruder, type="init", join=game.join_key)
    assert await receive(intruder) == {
        "type": "error",
        "message": "This game already has two players. Ask them for the watch link to follow it.",
        "reason": "seat-taken",
    }
    # The intruder can't play, and the real yellow still can.
    await send(intruder, type="play", column=0)
    assert (await receive(intruder))["type"] == "error"
    await game.play("red", 0)
    assert (await game.play("yellow", 0))["player"] == "yellow"


async def test_concurrent_joins_seat_exactly_one_yellow(client):
    red = await client()
    await send(red, type="init")
    join_key = (await receive(red))["join"]
    contenders = [await client() for _ in range(10)]
    await asyncio.gather(*[send(c, type="init", join=join_key) for c in contenders])
    answers = [await receive(c) for c in contenders]
    assert sorted(event["type"] for event in answers) == ["error"] * 9 + ["init"]


async def test_the_join_link_seats_a_new_yellow_after_yellow_leaves(game, client):
    await game.play_all([2, 2, 3])
    await game.yellow.close()
    assert await receive(game.red) == {"type": "left", "player": "yellow", "grace": 0}
    newcomer = await client()
    await send(newcomer, type="init", join=game.join_key)
    assert (await receive(newcomer))["player"] == "yellow"
    assert await receive(newcomer) == {"type": "joined", "player": "red"}
    replayed = [await receive(newcomer) for _ in range(3)]
    assert [(e["player"], e["column"], e["row"]) for e in replayed] == [
        ("red", 2, 0),
        ("yellow", 2, 1),
        ("red", 3, 0),
    ]
    await send(newcomer, type="play", column=3)
    assert (await receive(game.red))["type"] == "joined"
    assert (await receive(game.red))["row"] == 1


# Replay, presence and the life of a game.


async def test_a_late_spectator_gets_every_move_and_the_result(game, client):
    await game.play_all(RED_WINS)
    latecomer = await client()
    await send(latecomer, type="init", watch=game.watch_key)
    assert [await receive(latecomer) for _ in range(2)] == [
        {"type": "joined", "player": "red"},
        {"type": "joined", "player": "yellow"},
    ]
    moves = [await receive(latecomer) for _ in RED_WINS]
    assert [move["column"] for move in moves] == RED_WINS
    assert [move["player"] for move in moves] == ["red", "yellow"] * 3 + ["red"]
    assert await receive(latecomer) == {"type": "win", "player": "red"}
    await assert_nothing_received(latecomer)


async def test_players_and_spectators_hear_when_a_player_leaves(game):
    await game.red.close()
    assert await receive(game.yellow) == {"type": "left", "player": "red", "grace": 0}
    assert await receive(game.spectator) == {"type": "left", "player": "red", "grace": 0}


async def test_a_spectator_leaving_is_not_announced(game):
    await game.spectator.close()
    await assert_nothing_received(game.red)
    await assert_nothing_received(game.yellow)


async def test_a_game_is_forgotten_when_everyone_has_left(game, client):
    await game.play("red", 0)
    for websocket in game.everyone:
        await websocket.close()
    for _ in range(50):
        if not app.JOIN:
            break
        await asyncio.sleep(10 * MS)
    assert app.JOIN == {} and app.WATCH == {}
    latecomer = await client()
    await send(latecomer, type="init", join=game.join_key)
    assert (await receive(latecomer))["message"] == "This game doesn't exist. It may have ended."


async def test_no_game_is_left_behind_after_many_come_and_go(uri):
    async def one_game(moves):
        async with connect(uri) as red, connect(uri) as yellow:
            await send(red, type="init")
            keys = await receive(red)
            await send(yellow, type="init", join=keys["join"])
            await receive(yellow)
            await receive(yellow), await receive(red)  # joined
            await play_moves(red, yellow, moves)

    await asyncio.gather(*[one_game(RED_WINS[: n % 8]) for n in range(100)])
    await asyncio.sleep(100 * MS)
    assert app.JOIN == {} and app.WATCH == {}


async def test_logs_never_contain_keys_tokens_or_what_clients_sent(game, client, caplog):
    # As with -v: the game's log in full, websockets' at INFO (app.run() sets that).
    caplog.set_level(logging.DEBUG, logger="connect4")
    caplog.set_level(logging.INFO, logger="websockets")
    room = app.JOIN[game.join_key]
    secrets = [game.join_key, game.watch_key, room.host.token, room.guest.token]
    # What a client sends stays out of the log too, even when it is refused.
    await send(game.red, type="play", column="marker-of-a-message")
    assert (await receive(game.red))["type"] == "error"
    await game.play_all(RED_WINS)
    await game.yellow.close()
    await receive(game.red)  # yellow left
    yellow, init = await seated(client, token=room.guest.token)
    assert init["player"] == "yellow"
    await game.red.close()
    await asyncio.sleep(50 * MS)
    assert "yellow is back" in caplog.text and "won in 7 moves" in caplog.text
    for secret in [*secrets, "marker-of-a-message"]:
        assert secret not in caplog.text


async def test_server_settings_stay_lean(server, uri):
    # bench/PERFORMANCE.md measures what each setting buys.
    # Compression costs CPU and memory for a few dozen bytes per event.
    async with connect(uri, compression="deflate") as websocket:
        assert websocket.response.headers.get("Sec-WebSocket-Extensions") is None
        await send(websocket, type="init")
        await receive(websocket)
        # The server's end of the connection: small bounds on what it buffers.
        (connection,) = server.connections
        assert connection.protocol.max_message_size == MAX_SIZE <= 4096
        assert connection.max_queue_high <= 4
        assert connection.transport.get_write_buffer_limits()[1] <= 4096
    try:
        import uvloop
    except ImportError:
        if os.environ.get("CI"):  # pyproject.toml installs it wherever it runs
            raise
        pytest.skip("uvloop is not installed")
    assert command_line.event_loop_factory() is uvloop.new_event_loop


# The command line: python app.py.


def close_code_after_signal(process, signum):
    """Seat a player, signal the server, and return the code its connection closes with."""

    async def scenario():
        async with connect(process.uri) as websocket:
            await send(websocket, type="init")
            await receive(websocket)
            process.signal(signum)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(websocket, timeout=5000 * MS)
            return closed.value.rcvd.code

    return asyncio.run(scenario())


def assert_clean_exit(process):
    """Check that the server exited with 0 and wrote no traceback."""
    returncode, stderr = process.stop()
    assert returncode == 0
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr


def test_sigterm_closes_connections_with_1001_and_exits_0(app_process):
    process = app_process("--no-http")
    assert close_code_after_signal(process, signal.SIGTERM) == 1001
    assert_clean_exit(process)


def test_ctrl_c_closes_connections_with_1001_and_exits_0(app_process):
    process = app_process()
    assert close_code_after_signal(process, signal.SIGINT) == 1001
    assert_clean_exit(process)


# Windows has no loop.add_signal_handler(): app.py on an event loop like that.
WITHOUT_SIGNAL_HANDLERS = """
import asyncio, sys
import app
from server import command_line

class LoopWithoutSignalHandlers(asyncio.SelectorEventLoop):
    def add_signal_handler(self, *args):
        raise NotImplementedError

command_line.event_loop_factory = lambda: LoopWithoutSignalHandlers
app.run(sys.argv[1:])
"""


def test_ctrl_c_still_closes_connections_with_1001_without_signal_handlers(app_process):
    process = app_process(program=["-c", WITHOUT_SIGNAL_HANDLERS])
    assert close_code_after_signal(process, signal.SIGINT) == 1001
    assert_clean_exit(process)


def run_app(*args, env=None):
    """Run `python app.py` to completion and return the result."""
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10_000 * MS,
        env=env,
    )


@pytest.mark.parametrize("option", ["--port", "--http-port"])
def test_a_port_in_use_is_explained_without_a_traceback(option):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = ["--port", "0", "--http-port", "0", option, str(port)]  # the last one wins
        result = run_app("--host", "127.0.0.1", *ports)
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert option in result.stderr
    assert "Traceback" not in result.stderr


def test_the_port_environment_variable_sets_the_websocket_port(app_process):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # No --port on the command line: the environment alone says which port.
    process = app_process("--no-http", port=None, env=os.environ | {"PORT": str(port)})
    assert process.websocket_port == port
    assert http_get(port, "/healthz")[0] == 200



@pytest.mark.parametrize(
    "environment, search",
    [({}, "the compiled search"), ({"CONNECT4_NO_EXTENSIONS": "1"}, "the Python search")],
)
def test_the_server_says_which_search_the_computer_uses(app_process, environment, search):
    if not environment:
        if os.environ.get("CONNECT4_NO_EXTENSIONS"):
            pytest.skip("CONNECT4_NO_EXTENSIONS is set: the Python search only")
        if "C" not in IMPLEMENTATIONS and not os.environ.get("CI"):
            pytest.skip("the compiled search isn't built here")
    process = app_process("--no-http", env=os.environ | environment)
    _, log = process.stop()
    assert f"the computer and the analysis use {search}" in log


# Resume: a seat outlives its connection for a grace period.


@pytest.fixture
def grace(monkeypatch):
    """Give players a grace period to come back, of the given length in seconds."""

    def set_grace(seconds):
        monkeypatch.setattr(app.LIMITS, "grace", seconds)

    set_grace(60)
    return set_grace


async def seated(client, **init):
    """Open a connection, send init, and return it with the init event it gets."""
    websocket = await client()
    await send(websocket, type="init", **init)
    event = await receive(websocket)
    assert event["type"] == "init", event
    return websocket, event


async def test_a_player_resumes_its_seat_with_its_token(game, client, grace):
    await game.play_all([3, 3, 4])
    yellow_token = app.JOIN[game.join_key].guest.token
    await game.yellow.close()
    # Everyone learns how long the seat waits.
    assert await receive(game.red) == {"type": "left", "player": "yellow", "grace": 60}
    assert await receive(game.spectator) == {"type": "left", "player": "yellow", "grace": 60}

    yellow, init = await seated(client, join=game.join_key, token=yellow_token)
    assert init["player"] == "yellow" and init["token"] == yellow_token
    assert await receive(yellow) == {"type": "joined", "player": "red"}
    assert [(await receive(yellow))["column"] for _ in range(3)] == [3, 3, 4]
    # The others hear that yellow is back, and yellow goes on playing.
    assert await receive(game.red) == {"type": "joined", "player": "yellow"}
    assert await receive(game.spectator) == {"type": "joined", "player": "yellow"}
    game.yellow = yellow
    assert await game.play("yellow", 4) == {"type": "play", "player": "yellow", "column": 4, "row": 1}


async def test_red_resumes_with_its_token_alone(game, client, grace):
    red_token = app.JOIN[game.join_key].host.token
    await game.play("red", 0)
    await game.red.close()
    await receive(game.yellow)  # left
    red, init = await seated(client, token=red_token)
    assert init["player"] == "red"
    game.red = red
    assert (await receive(red))["type"] == "joined"  # yellow is here
    await receive(red)  # the move replayed
    await receive(game.yellow)  # joined
    await receive(game.spectator)  # left
    await receive(game.spectator)  # joined
    await game.play("yellow", 0)
    assert (await game.play("red", 1))["player"] == "red"


async def test_the_join_link_cannot_take_a_seat_during_its_grace_period(game, client, grace):
    await game.yellow.close()
    await receive(game.red)
    intruder = await client()
    await send(intruder, type="init", join=game.join_key)
    assert await receive(intruder) == {
        "type": "error",
        "message": "This game already has two players. Ask them for the watch link to follow it.",
        "reason": "seat-taken",
    }


async def test_after_the_grace_period_the_join_link_seats_someone_new(game, client, grace):
    grace(100 * MS)
    old_token = app.JOIN[game.join_key].guest.token
    await game.yellow.close()
    await asyncio.sleep(150 * MS)
    newcomer, init = await seated(client, join=game.join_key)
    assert init["player"] == "yellow" and init["token"] != old_token
    # The old token is worthless now.
    stale = await client()
    await send(stale, type="init", token=old_token)
    assert (await receive(stale))["type"] == "error"


@pytest.mark.parametrize("token", ["no-such-token", "", 42, None, ["token"], {"a": 1}])
async def test_a_wrong_token_is_refused(game, client, grace, token):
    websocket = await client()
    await send(websocket, type="init", token=token)
    assert await receive(websocket) == {
        "type": "error",
        "message": "This game doesn't exist. It may have ended.",
        "reason": "not-found",
    }


async def test_a_wrong_token_with_a_join_key_joins_as_usual(client, grace):
    red, init = await seated(client)
    yellow, event = await seated(client, join=init["join"], token="stale")
    assert event["player"] == "yellow"


async def test_a_token_never_reaches_anyone_else(client, grace):
    red, red_init = await seated(client)
    yellow, yellow_init = await seated(client, join=red_init["join"])
    spectator = await client()
    await send(spectator, type="init", watch=red_init["watch"])
    heard = {red: [], yellow: [], spectator: []}

    async def hear(event_type, count):
        """Read each connection's messages until it has heard count events of a type."""
        for websocket, messages in heard.items():
            while sum(json.loads(message)["type"] == event_type for message in messages) < count:
                messages.append(await asyncio.wait_for(websocket.recv(), 2000 * MS))

    # A whole game, then a rematch: every kind of event that a game sends,
    # the new init events included.
    for index, column in enumerate(RED_WINS):
        await send(yellow if index % 2 else red, type="play", column=column)
        await hear("play", index + 1)
    await hear("win", 1)
    await send(red, type="rematch")
    await send(yellow, type="rematch")
    await hear("reset", 1)
    for messages in heard.values():
        types = [json.loads(message)["type"] for message in messages]
        assert types.count("play") == len(RED_WINS) and types.count("rematch") == 2, types
    assert red_init["token"] in "".join(heard[red])  # its own, in its new init
    assert yellow_init["token"] not in "".join(heard[red])
    assert red_init["token"] not in "".join(heard[yellow])
    assert not any("token" in message for message in heard[spectator])


async def test_a_new_connection_with_the_token_takes_over_the_seat(game, client, grace):
    token = app.JOIN[game.join_key].guest.token
    second_tab, init = await seated(client, join=game.join_key, token=token)
    assert init["player"] == "yellow"
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await receive(game.yellow)
    assert closed.value.rcvd.code == 4000  # the page must not reconnect
    assert await receive(second_tab) == {"type": "joined", "player": "red"}
    # Nobody was told that yellow left: yellow never did.
    await assert_nothing_received(game.red)
    game.yellow = second_tab
    await game.play("red", 0)
    assert (await game.play("yellow", 0))["row"] == 1


async def test_a_game_nobody_comes_back_to_is_forgotten_after_the_grace_period(game, client, grace):
    grace(200 * MS)
    for websocket in game.everyone:
        await websocket.close()
    await asyncio.sleep(100 * MS)
    assert game.join_key in app.JOIN  # still waiting for its players
    await asyncio.sleep(300 * MS)
    assert app.JOIN == {} and app.WATCH == {} and app.SEATS == {}


async def test_a_spectator_keeps_an_empty_game_alive(game, grace):
    grace(100 * MS)
    await game.red.close()
    await game.yellow.close()
    await asyncio.sleep(200 * MS)
    assert game.join_key in app.JOIN


# Rematch: same links, colours swapped, score kept.


async def test_a_rematch_starts_when_both_players_ask(game):
    await game.play_all(RED_WINS)
    await send(game.red, type="rematch")
    for websocket in game.everyone:
        assert await receive(websocket) == {"type": "rematch", "player": "red"}
    await send(game.yellow, type="rematch")
    for websocket in game.everyone:
        assert await receive(websocket) == {"type": "rematch", "player": "yellow"}
    # Colours swap, so that the other player moves first this time.
    red_init, yellow_init = await receive(game.red), await receive(game.yellow)
    assert red_init["type"] == yellow_init["type"] == "init"
    assert (red_init["player"], yellow_init["player"]) == ("yellow", "red")
    reset = {"type": "reset", "score": {"red": 0, "yellow": 1, "draws": 0}, "host": "yellow"}
    for websocket in game.everyone:
        assert await receive(websocket) == reset
    game.red, game.yellow = game.yellow, game.red
    assert await game.play("red", 6) == {"type": "play", "player": "red", "column": 6, "row": 0}


async def test_one_request_is_not_enough(game):
    await game.play_all(RED_WINS)
    await send(game.yellow, type="rematch")
    for websocket in game.everyone:
        assert await receive(websocket) == {"type": "rematch", "player": "yellow"}
    await send(game.yellow, type="play", column=5)
    assert await receive(game.yellow) == {"type": "error", "message": "The game is over.", "reason": "illegal-move"}
    await send(game.yellow, type="rematch")
    assert (await receive(game.yellow))["message"] == "You asked already. Waiting for your opponent."


async def test_no_rematch_before_the_game_is_over(game):
    await game.play("red", 0)
    await send(game.red, type="rematch")
    assert await receive(game.red) == {
        "type": "error",
        "message": "You can ask for a rematch when the game is over.",
        "reason": "rematch",
    }


async def test_spectators_cannot_ask_for_a_rematch(game):
    await game.play_all(RED_WINS)
    await send(game.spectator, type="rematch")
    assert (await receive(game.spectator))["type"] == "error"
    await assert_nothing_received(game.red)


async def test_the_score_follows_the_players_across_games(game):
    async def rematch():
        for websocket in (game.red, game.yellow):
            await send(websocket, type="rematch")
        for websocket in game.everyone:
            await receive(websocket), await receive(websocket)  # two requests
        await receive(game.red), await receive(game.yellow)  # init, swapped
        game.red, game.yellow = game.yellow, game.red
        return [await receive(websocket) for websocket in game.everyone][0]

    await game.play_all(RED_WINS)  # the host wins as red
    reset = await rematch()
    assert reset["score"] == {"red": 0, "yellow": 1, "draws": 0} and reset["host"] == "yellow"
    await game.play_all(RED_WINS)  # the guest wins as red
    reset = await rematch()
    assert reset["score"] == {"red": 1, "yellow": 1, "draws": 0} and reset["host"] == "red"
    await game.play_all(DRAW)
    reset = await rematch()
    assert reset["score"] == {"red": 1, "yellow": 1, "draws": 1} and reset["host"] == "yellow"


async def test_after_a_rematch_the_join_link_refusal_names_no_colour(game, client):
    # The guest plays red after a rematch: a refusal naming "red" or "yellow"
    # would name the wrong seat for one of the two games.
    await game.play_all(RED_WINS)
    for websocket in (game.red, game.yellow):
        await send(websocket, type="rematch")
    await asyncio.sleep(50 * MS)
    intruder = await client()
    await send(intruder, type="init", join=game.join_key)
    event = await receive(intruder)
    assert event["reason"] == "seat-taken"
    assert "red" not in event["message"] and "yellow" not in event["message"]


async def test_latecomers_see_the_rematch_and_pending_requests(game, client):
    await game.play_all(RED_WINS)
    for websocket in (game.red, game.yellow):
        await send(websocket, type="rematch")
    for websocket in game.everyone:
        await receive(websocket), await receive(websocket)
    await receive(game.red), await receive(game.yellow)
    for websocket in game.everyone:
        await receive(websocket)  # reset
    game.red, game.yellow = game.yellow, game.red
    await game.play_all(RED_WINS)
    await send(game.yellow, type="rematch")
    latecomer = await client()
    await send(latecomer, type="init", watch=game.watch_key)
    events = [await receive(latecomer) for _ in range(2 + 1 + len(RED_WINS) + 1 + 1)]
    assert [event["type"] for event in events] == (
        ["joined", "joined", "reset"] + ["play"] * len(RED_WINS) + ["win", "rematch"]
    )
    assert events[-1] == {"type": "rematch", "player": "yellow"}


async def test_a_resumed_player_gets_its_colour_after_a_rematch(game, client, grace):
    guest_token = app.JOIN[game.join_key].guest.token
    await game.play_all(RED_WINS)
    for websocket in (game.red, game.yellow):
        await send(websocket, type="rematch")
    await asyncio.sleep(50 * MS)
    await game.yellow.close()
    _, init = await seated(client, join=game.join_key, token=guest_token)
    assert init["player"] == "red"


# Playing the computer.

# The longest that a computer's move or an analysis may take: the solver's
# slowest positions take seconds (bench/SOLVER.md), more on a busy machine.
SEARCH = 60_000 * MS


async def computer_game(client, level, **init):
    """Start a game against the computer; return the connection and its init event."""
    person = await client()
    await send(person, type="init", computer=level, **init)
    event = await receive(person)
    assert event["type"] == "init", event
    # The computer is always there.
    opponent = "yellow" if event["player"] == "red" else "red"
    assert await receive(person) == {"type": "joined", "player": opponent, "computer": level}
    return person, event


async def play_to_the_end(websocket, me, choose):
    """Play the person's moves, choose(columns) each, until the game ends.

    Return the columns played and the event that ended the game.

    """
    game = Connect4()
    while True:
        event = await receive(websocket, timeout=SEARCH)
        if event["type"] in ("win", "draw"):
            return game.columns, event
        if event["type"] == "play":
            game.play(event["player"], event["column"])
        if game.next_player == me and not game.over and event["type"] in ("init", "play"):
            await send(websocket, type="play", column=choose(list(game.columns)))


def first_free_column(columns):
    """The leftmost column that isn't full."""
    return next(column for column in range(7) if columns.count(column) < 6)


@pytest.mark.parametrize("level", ["easy", "medium", "perfect"])
async def test_a_whole_game_against_each_level(client, level):
    person, init = await computer_game(client, level)
    assert init["player"] == "red" and init["computer"] == level
    await send(person, type="play", column=first_free_column([]))
    columns, result = await play_to_the_end(person, "red", first_free_column)
    # Every other move was the computer's, and the game ended by the rules.
    game = Connect4()
    for column in columns:
        game.play(game.next_player, column)
    assert game.over
    assert result == ({"type": "draw"} if game.draw else {"type": "win", "player": game.winner})


async def test_the_person_may_play_yellow_and_perfect_red_opens_in_the_centre(client):
    person, init = await computer_game(client, "perfect", player="yellow")
    assert init["player"] == "yellow"
    assert await receive(person, timeout=SEARCH) == {
        "type": "play", "player": "red", "column": 3, "row": 0,
    }


async def test_best_play_as_yellow_still_loses_to_perfect_red_at_the_41st_checker(client):
    solver = Solver()
    person, _ = await computer_game(client, "perfect", player="yellow")

    def best(columns):
        return solver.best_move(Position.from_columns(columns))

    columns, result = await play_to_the_end(person, "yellow", best)
    # Red wins the solved game as late as yellow's best defence allows.
    assert result == {"type": "win", "player": "red"}
    assert len(columns) == 41


async def test_perfect_never_lets_a_winning_position_slip(client):
    # The person plays badly: whatever it does, once red can force a win it
    # keeps that win, move after move.
    solver = Solver()
    person, _ = await computer_game(client, "perfect", player="yellow")
    columns, result = await play_to_the_end(person, "yellow", first_free_column)
    assert result == {"type": "win", "player": "red"}
    for moves in range(0, len(columns), 2):  # each position where red moved
        position = Position.from_columns(columns[:moves])
        assert solver.scores(position)[columns[moves]] == solver.score(position)


def greedy(rng):
    """A simple player: win if it can, block if it must, else play anywhere."""

    def choose(columns):
        position = Position.from_columns(columns)
        return rng.choice(
            position.winning_columns()
            or position.threatened_columns()
            or position.playable_columns()
        )

    return choose


async def test_the_easy_level_mostly_loses_to_a_greedy_player(client, monkeypatch):
    # Both players' random numbers are seeded: the games, and so the result,
    # are the same at every run, not a draw with odds of failing.
    monkeypatch.setattr(app.SEARCHES, "seeds", random.Random(4))
    rng = random.Random(4)
    results = []
    for _ in range(10):
        person, _ = await computer_game(client, "easy")
        await send(person, type="play", column=3)
        _, result = await play_to_the_end(person, "red", greedy(rng))
        results.append(result)
        await person.close()
    assert results.count({"type": "win", "player": "red"}) >= 7, results


async def test_a_rematch_against_the_computer_starts_at_once_and_it_moves_first(client):
    person, _ = await computer_game(client, "medium")
    await send(person, type="play", column=0)
    await play_to_the_end(person, "red", first_free_column)
    await send(person, type="rematch")
    assert await receive(person) == {"type": "rematch", "player": "red"}
    assert await receive(person) == {"type": "rematch", "player": "yellow"}
    init = await receive(person)
    assert init["type"] == "init" and init["player"] == "yellow"
    assert (await receive(person))["type"] == "reset"
    # Red, the computer now, opens the new game.
    event = await receive(person, timeout=SEARCH)
    assert event["type"] == "play" and event["player"] == "red"


async def test_a_player_resumes_a_game_against_the_computer(client, grace):
    person, init = await computer_game(client, "perfect")
    await send(person, type="play", column=3)
    assert (await receive(person))["player"] == "red"
    reply = await receive(person, timeout=SEARCH)
    assert reply["player"] == "yellow"
    await person.close()
    person, init = await seated(client, token=init["token"])
    assert init["computer"] == "perfect"
    assert await receive(person) == {"type": "joined", "player": "yellow", "computer": "perfect"}
    assert await receive(person) == {"type": "play", "player": "red", "column": 3, "row": 0}
    assert await receive(person) == reply
    await send(person, type="play", column=3)
    assert (await receive(person))["player"] == "red"
    assert (await receive(person, timeout=SEARCH))["player"] == "yellow"


async def test_spectators_watch_the_computer_play(client):
    person, init = await computer_game(client, "medium")
    spectator = await client()
    await send(spectator, type="init", watch=init["watch"])
    assert await receive(spectator) == {"type": "joined", "player": "red"}
    # Spectators learn that yellow is the computer, and its level.
    assert await receive(spectator) == {"type": "joined", "player": "yellow", "computer": "medium"}
    await send(person, type="play", column=3)
    assert (await receive(spectator))["player"] == "red"
    assert (await receive(spectator, timeout=SEARCH))["player"] == "yellow"


async def test_nobody_takes_the_computers_seat_with_the_join_link(client):
    _, init = await computer_game(client, "easy")
    intruder = await client()
    await send(intruder, type="init", join=init["join"])
    assert (await receive(intruder))["reason"] == "seat-taken"


@pytest.mark.parametrize(
    "init",
    [
        {"computer": "grandmaster"},
        {"computer": None},
        {"computer": ["perfect"]},
        {"computer": "easy", "player": "blue"},
        {"computer": "easy", "player": ["red"]},
    ],
)
async def test_a_bad_computer_game_request_gets_an_error(client, init):
    websocket = await client()
    await send(websocket, type="init", **init)
    event = await receive(websocket)
    assert event["type"] == "error" and event["reason"] == "invalid"


# Play from here: a game against the computer from a position of another game.


def play_events(columns):
    """The play events of these columns, red first, as the server sends them."""
    game, events = Connect4(), []
    for column in columns:
        player = game.next_player
        events.append({"type": "play", "player": player, "column": column, "row": game.play(player, column)})
    return events


async def test_a_game_from_here_starts_with_its_moves_and_waits_for_the_person(client):
    # 4453: red, the person, is to move after four moves.
    person, init = await computer_game(client, "perfect", moves="4453")
    assert init["player"] == "red" and init["computer"] == "perfect"
    for event in play_events([3, 3, 4, 2]):
        assert await receive(person) == event
    await assert_nothing_received(person, 200 * MS)  # the computer waits its turn
    # A spectator sees the moves too, in order.
    spectator = await client()
    await send(spectator, type="init", watch=init["watch"])
    assert await receive(spectator) == {"type": "joined", "player": "red"}
    assert await receive(spectator) == {"type": "joined", "player": "yellow", "computer": "perfect"}
    for event in play_events([3, 3, 4, 2]):
        assert await receive(spectator) == event
    # Then the game goes on as any other.
    await send(person, type="play", column=3)
    assert (await receive(person))["player"] == "red"
    reply = await receive(person, timeout=SEARCH)
    assert reply["type"] == "play" and reply["player"] == "yellow"


async def test_the_computer_moves_at_once_when_a_game_from_here_starts_on_its_turn(client):
    # Three moves: yellow's turn, and yellow is the computer, at its best.
    person, _ = await computer_game(client, "perfect", moves="445")
    for event in play_events([3, 3, 4]):
        assert await receive(person) == event
    reply = await receive(person, timeout=SEARCH)
    assert reply["type"] == "play" and reply["player"] == "yellow"
    position = Position.from_columns([3, 3, 4])
    assert Solver().scores(position)[reply["column"]] == Solver().score(position)


async def test_the_person_may_play_yellow_from_here_and_the_computer_goes_on(client):
    person, init = await computer_game(client, "easy", player="yellow", moves="44")
    assert init["player"] == "yellow"
    for event in play_events([3, 3]):
        assert await receive(person) == event
    reply = await receive(person, timeout=SEARCH)
    assert reply["type"] == "play" and reply["player"] == "red"


@pytest.mark.parametrize(
    "moves, message",
    [
        (4453, '"moves" is a string of columns from 1 to 7, such as "4453".'),
        (["4", "4"], '"moves" is a string of columns from 1 to 7, such as "4453".'),
        (None, '"moves" is a string of columns from 1 to 7, such as "4453".'),
        ("4480", '"moves" is a string of columns from 1 to 7: move 3 is not.'),
        ("44 5", '"moves" is a string of columns from 1 to 7: move 3 is not.'),
        ("4\u0664", '"moves" is a string of columns from 1 to 7: move 2 is not.'),
        ("1111111", "Move 7, in column 1, can't be played: This column is full."),
        ("121212122", "Move 8, in column 2, can't be played: The game is over."),
        ("1212121", "These moves end the game: nobody can play from there."),
        ("".join(str(column + 1) for column in DRAW), "These moves end the game: nobody can play from there."),
    ],
)
async def test_moves_that_cant_be_played_from_are_refused_and_change_nothing(client, moves, message):
    websocket = await client()
    await send(websocket, type="init", computer="easy", moves=moves)
    assert await receive(websocket) == {"type": "error", "message": message, "reason": "invalid"}
    assert app.JOIN == {}  # no game was made
    # The page may try again, from a position that can be played.
    await send(websocket, type="init", computer="easy", moves="4")
    assert (await receive(websocket))["type"] == "init"


async def test_moves_without_the_computer_are_refused(client):
    websocket = await client()
    await send(websocket, type="init", moves="44")
    event = await receive(websocket)
    assert event["type"] == "error" and event["reason"] == "invalid"
    assert app.JOIN == {}


async def test_the_analysis_of_a_game_from_here_starts_from_the_empty_board(client):
    person, _ = await computer_game(client, "perfect", player="yellow", moves="1212")
    columns, result = await play_to_the_end(person, "yellow", first_free_column)
    assert columns[:4] == [0, 1, 0, 1]
    await send(person, type="analyse")
    analysis = await receive(person, timeout=SEARCH)
    assert analysis["columns"] == columns and len(analysis["scores"]) == len(columns) + 1


# The analysis of a finished game.


async def test_the_analysis_scores_every_move_of_every_position(game):
    await game.play_all(RED_WINS)
    await send(game.spectator, type="analyse")
    analysis = await receive(game.spectator, timeout=SEARCH)
    assert analysis["type"] == "analysis" and analysis["columns"] == RED_WINS
    scores = analysis["scores"]
    assert len(scores) == len(RED_WINS) + 1
    # Each move played scores what the best reply to it scores, negated.
    for moves, column in enumerate(RED_WINS[:-1]):
        best_reply = max(score for score in scores[moves + 1] if score is not None)
        assert scores[moves][column] == -best_reply
    # Red's winning move scores as a win with red's 4th checker, and after
    # it nobody moves.
    assert scores[-2][0] == 18
    assert scores[-1] == [None] * 7
    # Positions the solver can check quickly score exactly as it says.
    solver = Solver()
    for moves in range(4, len(RED_WINS)):
        assert scores[moves] == solver.scores(Position.from_columns(RED_WINS[:moves]))
    # Players may ask too, and get the same answer.
    await send(game.red, type="analyse")
    assert await receive(game.red, timeout=SEARCH) == analysis


async def test_no_analysis_before_the_game_is_over(game):
    await game.play("red", 3)
    await send(game.red, type="analyse")
    event = await receive(game.red)
    assert event["type"] == "error" and event["reason"] == "analysis"


async def test_a_busy_pool_refuses_the_analysis_until_it_has_room_again(game, monkeypatch):
    await game.play_all(RED_WINS)
    # As if every place in the pool's queue were taken by other games' analyses.
    monkeypatch.setattr(app.SEARCHES, "max_analyses", 0)
    await send(game.red, type="analyse")
    assert await receive(game.red) == {
        "type": "error",
        "message": "The server is busy analysing other games. Try again in a moment.",
        "reason": "analysis",
    }
    monkeypatch.undo()
    await send(game.red, type="analyse")
    analysis = await receive(game.red, timeout=SEARCH)
    assert analysis["type"] == "analysis" and analysis["columns"] == RED_WINS
