"""server/hardening.py: limits, floods and other sites' pages, against a real server."""

import asyncio
import contextlib
import logging
import time

import pytest
import websockets.datastructures
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import app
from server import hardening
from conftest import DRAW, MS, http_get, receive, send


# HTTP on the WebSocket port.


async def test_healthz_answers_ok(server):
    port = server.sockets[0].getsockname()[1]
    status, _, body = await asyncio.to_thread(http_get, port, "/healthz")
    assert (status, body) == (200, b"OK\n")


async def test_other_http_requests_to_the_websocket_port_are_refused(server):
    port = server.sockets[0].getsockname()[1]
    status, _, _ = await asyncio.to_thread(http_get, port, "/")
    assert status == 426  # Upgrade Required


# Other sites' pages.


@pytest.mark.parametrize(
    "host, origin",
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("localhost", "http://localhost:8000"),
        ("localhost", "http://localhost:8000/"),
        ("127.0.0.1", None),  # not a browser
    ],
)
async def test_the_games_own_page_may_connect(server, host, origin):
    port = server.sockets[0].getsockname()[1]
    async with connect(f"ws://{host}:{port}/", origin=origin) as websocket:
        await send(websocket, type="init")
        assert (await receive(websocket))["type"] == "init"


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://evil.example:8000",
        "http://127.0.0.1:9999",  # another program on this machine
        "http://localhost:8000",  # a name that doesn't match the server's Host
        "https://127.0.0.1",
        "null",  # a sandboxed frame or a file:// page
        "ftp://127.0.0.1:8000",
        "http://127.0.0.1:99999",
    ],
)
async def test_other_sites_pages_get_403(uri, origin, caplog):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(uri, origin=origin):
            pass
    assert refused.value.response.status_code == 403
    assert "Traceback" not in caplog.text


def test_the_lan_address_of_the_page_is_allowed():
    def headers(origin, host):
        return websockets.datastructures.Headers(Origin=origin, Host=host)

    assert hardening.is_allowed_origin(headers("http://192.168.1.5:8000", "192.168.1.5:8001"), 8000, ())
    assert hardening.is_allowed_origin(headers("http://mybox.local:8000", "mybox.local:8001"), 8000, ())
    assert not hardening.is_allowed_origin(headers("http://192.168.1.6:8000", "192.168.1.5:8001"), 8000, ())
    # A deployment names its page's origin with --origin.
    assert hardening.is_allowed_origin(headers("https://game.example", "ws.game.example"), 8000, {"https://game.example"})


async def test_extra_origins_are_accepted():
    async with app.websocket_server("127.0.0.1", 0, origins=["https://game.example/"]) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/", origin="https://game.example"):
            pass


# Floods and idle connections.


async def test_a_flood_closes_the_connection_without_slowing_other_games(
    game, client, caplog, monkeypatch
):
    # A longer burst than the default, so that the flood lasts long enough for
    # the other game's moves to be measured while it goes on.
    monkeypatch.setattr(hardening.LIMITS, "message_burst", 500)
    other_red, other_yellow = await client(), await client()
    await send(other_red, type="init")
    init = await receive(other_red)
    await send(other_yellow, type="init", join=init["join"])
    for websocket in (other_red, other_yellow):  # init, then joined
        while (await receive(websocket))["type"] != "joined":
            pass
    flooding = True

    async def flood():
        nonlocal flooding
        with contextlib.suppress(ConnectionClosed):
            for _ in range(5000):
                await send(game.red, type="play", column=7)
                # The server runs in this test's event loop: let it and the
                # other game's players go on between two messages of the flood.
                await asyncio.sleep(0)
        flooding = False

    async def other_game_latencies():
        latencies, during_flood = [], 0
        for index, column in enumerate(DRAW):
            started = time.perf_counter()
            await send(other_yellow if index % 2 else other_red, type="play", column=column)
            for websocket in (other_red, other_yellow):
                assert (await receive(websocket))["type"] == "play"
            latencies.append(time.perf_counter() - started)
            during_flood += flooding
        return latencies, during_flood

    (latencies, during_flood), _ = await asyncio.gather(other_game_latencies(), flood())
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await receive(game.red)
    assert closed.value.rcvd.code == 1008
    # Every move of the other game was played, some while the flood went on,
    # and none waited long for it.
    assert len(latencies) == len(DRAW) and during_flood > 0, during_flood
    assert max(latencies) < 500 * MS, latencies  # generous: the machine is shared
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "too many messages" in warnings[0].getMessage()


async def test_a_burst_of_message_burst_messages_is_allowed_and_no_more(client, monkeypatch):
    # No token comes back during the test, however slow the machine.
    monkeypatch.setattr(hardening.LIMITS, "messages_per_second", 0.001)
    red = await client()
    await send(red, type="init")
    await receive(red)
    for _ in range(hardening.LIMITS.message_burst - 1):  # the init spent a token
        await send(red, type="play", column=9)
        assert (await receive(red))["type"] == "error"
    await send(red, type="play", column=9)
    with pytest.raises(ConnectionClosed) as closed:
        await receive(red)
    assert closed.value.rcvd.code == 1008


async def test_a_few_clicks_a_second_are_fine(game):
    for column in [0, 1, 0, 1, 0, 1]:
        await game.play("red" if column == 0 else "yellow", column)
    for _ in range(10):  # someone clicking fast while it isn't their turn
        await send(game.yellow, type="play", column=2)
        assert (await receive(game.yellow))["type"] == "error"
    assert (await game.play("red", 0))["row"] == 3


async def test_a_connection_that_sends_no_init_is_closed(client, monkeypatch):
    monkeypatch.setattr(hardening.LIMITS, "init_timeout", 200 * MS)
    idle = await client()
    with pytest.raises(ConnectionClosed) as closed:
        await receive(idle, timeout=2000 * MS)
    assert closed.value.rcvd.code == 1008
    # The timeout ends with the init: a seated player may think for long.
    red = await client()
    await send(red, type="init")
    await receive(red)
    await asyncio.sleep(400 * MS)
    await send(red, type="play", column=0)
    assert (await receive(red))["type"] == "play"


async def test_junk_does_not_extend_the_init_timeout(client, monkeypatch):
    monkeypatch.setattr(hardening.LIMITS, "init_timeout", 300 * MS)
    idle = await client()
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(20):
            await idle.send("junk")
            await receive(idle)
            await asyncio.sleep(50 * MS)
    assert closed.value.rcvd.code == 1008


# Capacity.


async def test_the_number_of_games_is_limited(client, monkeypatch):
    monkeypatch.setattr(hardening.LIMITS, "games", 2)
    for _ in range(2):
        websocket = await client()
        await send(websocket, type="init")
        assert (await receive(websocket))["type"] == "init"
    third = await client()
    await send(third, type="init")
    event = await receive(third)
    assert event["type"] == "error" and "Try again later" in event["message"]


async def test_the_number_of_connections_is_limited(client, monkeypatch):
    monkeypatch.setattr(hardening.LIMITS, "connections", 2)
    await client()
    await client()
    third = await client()
    event = await receive(third)
    assert event == {"type": "error", "message": "The server is full. Try again later.", "reason": "server-full"}
    with pytest.raises(ConnectionClosed) as closed:
        await receive(third)
    assert closed.value.rcvd.code == 1013


async def test_keepalive_pings_stay_on(server, client):
    await client()
    (connection,) = server.connections
    assert connection.ping_interval is not None and connection.ping_timeout is not None
