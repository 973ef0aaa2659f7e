"""Several app.py processes sharing games through a real Redis (app.py --redis)."""

import asyncio
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import app
from games.core import Room, Seat, move
from games.exceptions import IllegalMove
from server import redis_games
from solver import Position, Solver
from conftest import (
    DRAW,
    MS,
    RED_WINS,
    ROOT,
    drain,
    http_get,
    play_moves,
    RedisServer,
    receive,
    require_redis_server,
    send,
)


@pytest.fixture
def shared_app(app_process, redis_server):
    """Start an app.py process sharing games through the test's Redis."""

    def start(*args):
        return app_process("--no-http", "--redis", redis_server.url, "--computer-delay", "0", *args)

    return start


async def open_game(uri, **init):
    """Connect to a server, send an init and return the connection and its answer."""
    websocket = await connect(uri)
    await send(websocket, type="init", **init)
    return websocket, await receive(websocket, timeout=5000 * MS)


async def receive_until(websocket, kind):
    """Receive events up to the first of a type; return them all."""
    events = [await receive(websocket, timeout=5000 * MS)]
    while events[-1]["type"] != kind:
        events.append(await receive(websocket, timeout=5000 * MS))
    return events


async def start_game(red_uri, yellow_uri):
    """Seat red on one server and yellow on another; return both and red's init."""
    red, init = await open_game(red_uri)
    yellow, yellow_init = await open_game(yellow_uri, join=init["join"])
    assert yellow_init["player"] == "yellow"
    assert await receive(yellow) == {"type": "joined", "player": "red"}
    assert await receive(red, timeout=5000 * MS) == {"type": "joined", "player": "yellow"}
    return red, yellow, init, yellow_init


async def test_players_on_two_processes_play_a_whole_game(shared_app):
    one, two = shared_app(), shared_app()
    red, yellow, init, _ = await start_game(one.uri, two.uri)
    spectators = [(await open_game(uri, watch=init["watch"]))[0] for uri in (one.uri, two.uri)]
    for spectator in spectators:
        assert await receive(spectator) == {"type": "joined", "player": "yellow"}
    assert await play_moves(red, yellow, RED_WINS, spectators) == {"type": "win", "player": "red"}
    # Spectators on either process hear exactly what the players hear.
    late, event = await open_game(two.uri, watch=init["watch"])
    replay = [event] + [await receive(late) for _ in range(len(RED_WINS) + 2)]
    assert [event["type"] for event in replay] == ["joined", "joined"] + ["play"] * 7 + ["win"]


async def test_a_rematch_across_processes_swaps_colours(shared_app):
    one, two = shared_app(), shared_app()
    red, yellow, _, _ = await start_game(one.uri, two.uri)
    assert (await play_moves(red, yellow, RED_WINS))["type"] == "win"
    await send(red, type="rematch")
    await send(yellow, type="rematch")
    events = await receive_until(red, "reset")
    assert events[-1] == {
        "type": "reset",
        "score": {"red": 0, "yellow": 1, "draws": 0},
        "host": "yellow",
    }
    assert {"type": "init"}.items() <= events[-2].items() and events[-2]["player"] == "yellow"
    new_red_events = await receive_until(yellow, "reset")
    assert new_red_events[-2]["player"] == "red"
    await play_moves(yellow, red, [3, 4])  # the old guest, red now, starts


async def test_the_join_link_cannot_steal_a_seat_held_on_another_process(shared_app):
    one, two = shared_app(), shared_app()
    _, _, init, _ = await start_game(one.uri, two.uri)
    intruder, event = await open_game(one.uri, join=init["join"])
    assert event["type"] == "error" and event["reason"] == "seat-taken"


async def test_a_seat_taken_over_on_another_process_closes_the_old_connection(shared_app):
    one, two = shared_app(), shared_app()
    red, yellow, init, _ = await start_game(one.uri, two.uri)
    new_red, event = await open_game(two.uri, token=init["token"])
    assert event["type"] == "init" and event["player"] == "red"
    assert await receive(new_red) == {"type": "joined", "player": "yellow"}
    with pytest.raises(ConnectionClosed):
        await receive(red, timeout=5000 * MS)
    assert red.close_code == app.CLOSE_REPLACED
    await play_moves(new_red, yellow, [3, 3])


async def test_a_killed_process_loses_nothing(shared_app):
    one, two = shared_app("--grace", f"{60_000 * MS}"), shared_app("--grace", f"{60_000 * MS}")
    red, yellow, init, _ = await start_game(one.uri, two.uri)
    await play_moves(red, yellow, RED_WINS[:4])
    one.process.send_signal(signal.SIGKILL)
    one.process.wait()
    # Red's page reconnects with its token, to the process still up.
    red, event = await open_game(two.uri, token=init["token"])
    assert event["type"] == "init" and event["player"] == "red"
    replay = [await receive(red) for _ in range(5)]
    assert replay[0] == {"type": "joined", "player": "yellow"}
    assert [event["column"] for event in replay[1:]] == RED_WINS[:4]
    assert await play_moves(red, yellow, RED_WINS[4:], played=RED_WINS[:4]) == {
        "type": "win",
        "player": "red",
    }


async def test_restarting_every_process_keeps_the_game(shared_app):
    one, two = shared_app("--grace", f"{60_000 * MS}"), shared_app("--grace", f"{60_000 * MS}")
    red, yellow, init, yellow_init = await start_game(one.uri, two.uri)
    await play_moves(red, yellow, DRAW[:10])
    for process in (one, two):
        returncode, _ = process.stop()
        assert returncode == 0
    with pytest.raises(ConnectionClosed):
        await red.recv()
    assert red.close_code == 1001
    three, four = shared_app("--grace", f"{60_000 * MS}"), shared_app("--grace", f"{60_000 * MS}")
    red, event = await open_game(three.uri, token=init["token"])
    assert event["player"] == "red"
    yellow, event = await open_game(four.uri, token=yellow_init["token"])
    assert event["player"] == "yellow"
    for websocket in (red, yellow):
        events = await drain(websocket)
        assert [event["column"] for event in events if event["type"] == "play"] == DRAW[:10]
    assert await play_moves(red, yellow, DRAW[10:], played=DRAW[:10]) == {"type": "draw"}


async def test_a_redis_outage_sends_clients_away_and_the_game_goes_on(shared_app, redis_server):
    one, two = shared_app("--grace", f"{60_000 * MS}"), shared_app("--grace", f"{60_000 * MS}")
    red, yellow, init, yellow_init = await start_game(one.uri, two.uri)
    await play_moves(red, yellow, RED_WINS[:3])
    redis_server.stop()
    for websocket in (red, yellow):
        event = await receive(websocket, timeout=5000 * MS)
        assert event["type"] == "error" and event["reason"] == "unavailable"
        with pytest.raises(ConnectionClosed):
            await receive(websocket, timeout=5000 * MS)
        assert websocket.close_code == 1013  # the page retries
    # While Redis is away, a client that comes is told the same.
    websocket, event = await open_game(one.uri, token=init["token"])
    assert event["reason"] == "unavailable"
    redis_server.start()
    for _ in range(100):
        websocket, event = await open_game(one.uri, token=init["token"])
        if event["type"] == "init":
            break
        await asyncio.sleep(100 * MS)
    red = websocket
    yellow, event = await open_game(two.uri, token=yellow_init["token"])
    assert event["player"] == "yellow"
    for websocket in (red, yellow):
        events = await drain(websocket)
        assert [event["column"] for event in events if event["type"] == "play"] == RED_WINS[:3]
        # Each hears the other is back: from the replay, or as it happens.
        opponent = "yellow" if websocket is red else "red"
        presence = [
            event["type"]
            for event in events
            if event["type"] in ("joined", "left") and event["player"] == opponent
        ]
        assert presence and presence[-1] == "joined", events
    assert await play_moves(red, yellow, RED_WINS[3:], played=RED_WINS[:3]) == {
        "type": "win",
        "player": "red",
    }
    assert "Traceback" not in one.log + two.log


async def test_a_game_nobody_comes_back_to_leaves_no_key_in_redis(shared_app, redis_server):
    one, two = shared_app("--grace", f"{200 * MS}"), shared_app("--grace", f"{200 * MS}")
    red, yellow, init, _ = await start_game(one.uri, two.uri)
    await play_moves(red, yellow, [3, 3])
    games_keys = functools.partial(redis_server.command, "--scan", "--pattern", "c4:[{k]*")
    assert len(games_keys().split()) == 5  # the list, 2 keys, 2 tokens
    await red.close()
    await yellow.close()
    for _ in range(100):
        if games_keys() == "":
            break
        await asyncio.sleep(50 * MS)
    assert games_keys() == ""
    _, event = await open_game(one.uri, token=init["token"])
    assert event["reason"] == "not-found"
    # What's left: each process's lease, which goes when it stops.
    assert len(redis_server.command("--scan", "--pattern", "c4:process:*").split()) == 2
    for process in (one, two):
        process.stop()
    assert redis_server.command("DBSIZE") == "0"


async def test_the_seat_of_a_killed_process_player_is_freed_for_the_join_link(shared_app):
    one, two = shared_app("--grace", f"{500 * MS}"), shared_app("--grace", f"{500 * MS}")
    red, yellow, init, _ = await start_game(one.uri, two.uri)
    two.process.send_signal(signal.SIGKILL)
    two.process.wait()
    # Yellow's process said nothing: its lease expiring tells red's process.
    assert await receive(red, timeout=5000 * MS) == {
        "type": "left",
        "player": "yellow",
        "grace": 500 * MS,
    }
    await asyncio.sleep(600 * MS)
    newcomer, event = await open_game(one.uri, join=init["join"])
    assert event["type"] == "init" and event["player"] == "yellow"
    assert await receive(red) == {"type": "joined", "player": "yellow"}


async def test_keys_and_tokens_are_stored_as_hashes_only(shared_app, redis_server):
    one = shared_app()
    red, init = await open_game(one.uri)
    names = redis_server.command("KEYS", "*")
    for secret in (init["join"], init["watch"], init["token"]):
        assert secret not in names


async def test_a_computer_game_goes_on_when_its_process_dies_mid_search(app_process, redis_server):
    slow = app_process(
        "--no-http", "--redis", redis_server.url, "--grace", f"{60_000 * MS}", "--computer-delay", "5"
    )
    other = app_process(
        "--no-http", "--redis", redis_server.url, "--grace", f"{60_000 * MS}", "--computer-delay", "0"
    )
    person, init = await open_game(slow.uri, computer="easy")
    await receive(person)  # the computer is seated
    await send(person, type="play", column=3)
    assert (await receive(person))["column"] == 3
    slow.process.send_signal(signal.SIGKILL)  # while the computer "thinks"
    slow.process.wait()
    person, event = await open_game(other.uri, token=init["token"])
    assert event["player"] == "red"
    events = [await receive(person, timeout=10_000 * MS) for _ in range(3)]
    assert events[1]["column"] == 3
    assert events[2]["type"] == "play" and events[2]["player"] == "yellow"


async def test_a_game_from_here_and_its_hints_work_across_processes(shared_app):
    one, two = shared_app(), shared_app()
    # Three moves: the computer, yellow, moves at once after them.
    person, init = await open_game(one.uri, computer="perfect", moves="445")
    await send(person, type="hints", on=True)
    events = await receive_until(person, "hints")
    moves = [event for event in events if event["type"] == "play"]
    assert [event["column"] for event in moves] == [3, 3, 4, moves[3]["column"]]
    columns = [event["column"] for event in moves]
    assert events[-1]["scores"] == Solver().scores(Position.from_columns(columns))
    # A spectator on the other process sees every move, and no hint.
    spectator, joined = await open_game(two.uri, watch=init["watch"])
    assert joined == {"type": "joined", "player": "red"}
    assert await receive(spectator) == {"type": "joined", "player": "yellow", "computer": "perfect"}
    assert await drain(spectator) == moves


def test_redis_unreachable_at_start_is_one_clear_line_and_no_password(tmp_path):
    require_redis_server()
    down = RedisServer(tmp_path, password="hunter2")
    down.stop()  # nobody listens on its port now
    result = subprocess.run(
        [
            sys.executable,
            "app.py",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-http",
            "--redis",
            down.url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30_000 * MS,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("app.py: can't reach Redis at redis://:***@127.0.0.1:")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr + result.stdout


def test_a_password_never_reaches_the_log(app_process, tmp_path):
    require_redis_server()
    server = RedisServer(tmp_path, password="hunter2")
    try:
        process = app_process("--no-http", "--redis", server.url, "--verbose")

        async def scenario():
            websocket, _ = await open_game(process.uri)
            await websocket.close()

        asyncio.run(scenario())
        _, log = process.stop()
        assert "games are shared through Redis at redis://:***@127.0.0.1" in log
        assert "hunter2" not in log
    finally:
        server.process.kill()
        server.process.wait()


# Races: two processes accept the same move at the same instant; exactly one
# commits it. Here the two processes are two SharedGames in the test, each
# with its own connections to Redis, which is what makes the race.


@pytest.fixture
async def two_shared_games(redis_server, monkeypatch):
    monkeypatch.setattr(app.LIMITS, "grace", 60)
    games = [
        redis_games.SharedGames(redis_server.url, app.deliver, app.let_computer_move)
        for _ in range(2)
    ]
    for each in games:
        await each.open()
    yield games
    for each in games:
        await each.close()


async def test_of_two_processes_racing_the_same_move_exactly_one_commits(
    two_shared_games, redis_server
):
    one, two = two_shared_games
    races = 0
    while races < 500:
        room = Room("join", "watch", Seat("red"), Seat("yellow"))
        room.join_key, room.watch_key = f"join{races}", f"watch{races}"
        await one.create(room)
        copy = await two.find("watch", room.watch_key)
        for column in DRAW:
            if races == 500:
                break
            player = room.game.next_player
            outcomes = await asyncio.gather(
                *[
                    games.change(
                        each, functools.partial(move, each.seat_of(player), {"column": column})
                    )
                    for games, each in ((one, room), (two, copy))
                ],
                return_exceptions=True,
            )
            refused = [outcome for outcome in outcomes if outcome is not None]
            assert len(refused) == 1 and isinstance(refused[0], IllegalMove), outcomes
            # The last move of a full board leaves the game over instead.
            assert str(refused[0]) in ("It isn't your turn.", "The game is over.")
            races += 1
        # Each copy saw every move once, in the same order as Redis.
        for _ in range(100):
            if copy.changes == room.changes:
                break
            await asyncio.sleep(10 * MS)
        assert room.game.columns == copy.game.columns
        stored = json.loads(redis_server.command("LINDEX", redis_games.log_key(room.number), "-1"))
        assert stored == {"type": "play", "column": room.game.columns[-1]}
        one.release(room)
        two.release(copy)


def free_port():
    """A loopback port that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_processes_sharing_a_port_serve_the_same_games(app_process, redis_server):
    port, http_port = free_port(), free_port()
    processes = [
        app_process(
            "--redis", redis_server.url, "--reuse-port", "--http-port", str(http_port), port=port
        )
        for _ in range(2)
    ]
    uri = processes[0].uri
    assert processes[1].uri == uri
    for _ in range(20):
        red, yellow, _, _ = await start_game(uri, uri)
        assert await play_moves(red, yellow, RED_WINS) == {"type": "win", "player": "red"}
        await red.close()
        await yellow.close()
    # The system spread the connections: each process started some games.
    logs = [process.stop()[1] for process in processes]
    assert all(": started" in log for log in logs), logs


def test_sharing_ports_without_redis_is_refused():
    result = subprocess.run(
        [sys.executable, "app.py", "--reuse-port"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30_000 * MS,
    )
    assert result.returncode == 2
    assert "--reuse-port needs --redis" in result.stderr


def readme_haproxy_config(page_port, game_port):
    """The README's HAProxy configuration, on loopback addresses and the given ports."""
    readme = (ROOT / "README.md").read_text()
    config = re.search(r"```\n(defaults\n.*?)```", readme, re.DOTALL)[1]
    config = config.replace("bind :", "bind 127.0.0.1:")
    config = config.replace("10.0.0.11", "127.0.0.2").replace("10.0.0.12", "127.0.0.3")
    return config.replace(":8000", f":{page_port}").replace(":8001", f":{game_port}")


async def test_the_readmes_load_balancer_shares_games_between_two_machines(
    app_process, redis_server, tmp_path
):
    if shutil.which("haproxy") is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is missing: .ci/run should have installed it")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    # Two "machines": 127.0.0.2 and 127.0.0.3, each with app.py on the same
    # ports as the balancer on 127.0.0.1, as the README's example has them.
    page_port, game_port = free_port(), free_port()
    for host in ("127.0.0.2", "127.0.0.3"):
        app_process(
            "--redis",
            redis_server.url,
            "--http-port",
            str(page_port),
            "--host",
            host,
            port=game_port,
        )
    (tmp_path / "haproxy.cfg").write_text(readme_haproxy_config(page_port, game_port))
    balancer = subprocess.Popen(["haproxy", "-f", str(tmp_path / "haproxy.cfg")])
    try:
        page = f"http://127.0.0.1:{page_port}"
        for _ in range(100):  # until HAProxy's health checks pass
            try:
                status, _, body = http_get(page_port, "/")
                if status == 200:
                    break
            except OSError:
                pass
            await asyncio.sleep(50 * MS)
        assert b'<meta name="websocket" content=":%d">' % game_port in body
        uri = f"ws://127.0.0.1:{game_port}/"
        # As a browser would: the page's origin is the balancer's.
        red = await connect(uri, origin=page)
        await send(red, type="init")
        init = await receive(red, timeout=5000 * MS)
        yellow = await connect(uri, origin=page)
        await send(yellow, type="init", join=init["join"])
        assert (await receive(yellow, timeout=5000 * MS))["player"] == "yellow"
        await receive(yellow)
        await receive(red)
        assert await play_moves(red, yellow, RED_WINS) == {"type": "win", "player": "red"}
    finally:
        balancer.terminate()
        balancer.wait()


async def test_two_processes_racing_to_seat_a_guest_seat_exactly_one(shared_app):
    one, two = shared_app(), shared_app()
    for _ in range(20):
        red, init = await open_game(one.uri)
        guests = await asyncio.gather(
            *[open_game(uri, join=init["join"]) for uri in (one.uri, two.uri)]
        )
        outcomes = sorted(event.get("reason", event["type"]) for _, event in guests)
        assert outcomes == ["init", "seat-taken"]
        for websocket, _ in guests:
            await websocket.close()
        await red.close()


async def test_hundreds_of_games_opened_at_once_on_one_process_all_start(shared_app):
    # Each opening needs Redis; hundreds at once must queue for connections
    # to Redis, not fail with "Too many connections" (it did: 100 did).
    one, two = shared_app(), shared_app()
    count = 300
    openings = await asyncio.gather(*[open_game(one.uri) for _ in range(count)])
    assert [event["type"] for _, event in openings] == ["init"] * count
    guests = await asyncio.gather(
        *[open_game(two.uri, join=init["join"]) for _, init in openings]
    )
    assert [event["type"] for _, event in guests] == ["init"] * count
    reds = [websocket for websocket, _ in openings]
    yellows = [websocket for websocket, _ in guests]
    for websocket in reds:
        assert await receive(websocket, timeout=5000 * MS) == {"type": "joined", "player": "yellow"}
    for websocket in yellows:
        assert await receive(websocket, timeout=5000 * MS) == {"type": "joined", "player": "red"}
    # Every red plays at once; every move reaches both players.
    await asyncio.gather(*[send(websocket, type="play", column=3) for websocket in reds])
    for websocket in reds + yellows:
        event = await receive(websocket, timeout=5000 * MS)
        assert event == {"type": "play", "player": "red", "column": 3, "row": 0}, event
    for websocket in reds + yellows:
        await websocket.close()
    assert "Traceback" not in one.log + two.log


async def test_games_opened_while_processes_renew_their_keys_all_start(shared_app):
    # A short grace period renews every 0.2 s. A renewal used to drop the
    # channel of a game still being created, so its host's process never
    # heard the guest arrive: red waited for "joined" forever.
    one, two = shared_app("--grace", f"{800 * MS}"), shared_app("--grace", f"{800 * MS}")
    for _ in range(3):
        reds = await asyncio.gather(*[open_game(one.uri) for _ in range(100)])
        yellows = await asyncio.gather(
            *[open_game(two.uri, join=init["join"]) for _, init in reds]
        )
        assert [event["type"] for _, event in reds + yellows] == ["init"] * 200
        for websocket, _ in reds:
            assert await receive(websocket, timeout=5000 * MS) == {
                "type": "joined",
                "player": "yellow",
            }
        for websocket, _ in reds + yellows:
            await websocket.close()
