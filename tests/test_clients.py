"""server/clients.py: what one client address may hold, on loopback addresses as distinct clients."""

import asyncio
import collections
import ipaddress
import json
import statistics
import sys
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

import app
from server import clients
from conftest import DRAW, MS, receive, send

# Linux routes all of 127.0.0.0/8 to the loopback: each is a client of its own.
ONE, OTHER, THIRD, PROXY, STRANGER = (f"127.0.0.{n}" for n in (2, 3, 4, 5, 6))


@pytest.fixture
def limits(monkeypatch):
    """Set the per-client limits for one test: limits(connections=3, games=2)."""
    # Each test starts afresh: no games counted, no refusal logged already.
    monkeypatch.setattr(clients.CLIENTS, "games_full_at", {})
    monkeypatch.setattr(clients.CLIENTS, "logged", {})

    def set_limits(connections=0, games=0, proxies=()):
        monkeypatch.setattr(app.LIMITS, "client_connections", connections)
        monkeypatch.setattr(app.LIMITS, "client_games", games)
        networks = tuple(ipaddress.ip_network(proxy) for proxy in proxies)
        monkeypatch.setattr(app.LIMITS, "trusted_proxies", networks)

    return set_limits


@pytest.fixture
async def open_from(uri):
    """Open connections from a given loopback address; all closed after the test."""
    websockets = []

    async def open_from(address, forwarded_for=None):
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
        websocket = await connect(uri, local_addr=(address, 0), additional_headers=headers)
        websockets.append(websocket)
        return websocket

    yield open_from
    for websocket in websockets:
        await websocket.close()


async def assert_refused_with_429(open_from, address, forwarded_for=None):
    """Check that a handshake from address is refused with HTTP 429."""
    with pytest.raises(InvalidStatus) as refused:
        await open_from(address, forwarded_for)
    assert refused.value.response.status_code == 429


# Open connections.


async def test_one_address_gets_its_connections_and_no_more(limits, open_from, caplog):
    limits(connections=3)
    for _ in range(3):
        await open_from(ONE)
    await assert_refused_with_429(open_from, ONE)
    assert f"refusing client {ONE}: 3 connections are open from it" in caplog.text
    assert "Traceback" not in caplog.text


async def test_other_addresses_connect_while_one_is_at_its_limit(limits, open_from):
    limits(connections=2)
    for _ in range(2):
        await open_from(ONE)
    await assert_refused_with_429(open_from, ONE)
    websocket = await open_from(OTHER)
    await send(websocket, type="init")
    assert (await receive(websocket))["type"] == "init"


async def test_a_closed_connection_frees_its_place(limits, open_from):
    limits(connections=2)
    first = await open_from(ONE)
    await open_from(ONE)
    await assert_refused_with_429(open_from, ONE)
    await first.close()
    await asyncio.sleep(10 * MS)  # the server sees the TCP connection end
    await open_from(ONE)


async def test_zero_lifts_the_connection_limit(limits, open_from):
    limits(connections=0)
    for _ in range(120):
        await open_from(ONE)


# New games.


async def test_one_address_starts_its_games_and_no_more(limits, open_from, caplog):
    limits(games=3)
    for _ in range(3):
        websocket = await open_from(ONE)
        await send(websocket, type="init")
        assert (await receive(websocket))["type"] == "init"
    websocket = await open_from(ONE)
    await send(websocket, type="init")
    refusal = await receive(websocket)
    assert refusal["type"] == "error" and refusal["reason"] == "rate-limited"
    assert f"refusing client {ONE}: it started 3 games in the last minute" in caplog.text
    assert "Traceback" not in caplog.text


async def test_a_client_at_its_game_limit_still_joins_and_watches(limits, open_from):
    limits(games=1)
    red = await open_from(OTHER)
    await send(red, type="init")
    keys = await receive(red)
    host = await open_from(ONE)
    await send(host, type="init")
    assert (await receive(host))["type"] == "init"
    # The same connection, refused, may do what it's allowed to.
    await send(host, type="init")
    assert (await receive(host))["reason"] == "in-game"
    yellow = await open_from(ONE)
    await send(yellow, type="init")
    assert (await receive(yellow))["reason"] == "rate-limited"
    await send(yellow, type="init", join=keys["join"])
    assert (await receive(yellow))["type"] == "init"
    spectator = await open_from(ONE)
    await send(spectator, type="init", watch=keys["watch"])
    assert (await receive(spectator))["type"] == "joined"


async def test_other_addresses_start_games_while_one_is_at_its_limit(limits, open_from):
    limits(games=2)
    for _ in range(3):
        websocket = await open_from(ONE)
        await send(websocket, type="init")
        await receive(websocket)
    for address in (OTHER, THIRD):
        websocket = await open_from(address)
        await send(websocket, type="init")
        assert (await receive(websocket))["type"] == "init"


async def test_games_come_back_as_the_minute_passes(limits, open_from, monkeypatch):
    limits(games=2)
    clock = [time.monotonic_ns()]
    monkeypatch.setattr(time, "monotonic_ns", lambda: clock[0])
    for _ in range(2):
        websocket = await open_from(ONE)
        await send(websocket, type="init")
        assert (await receive(websocket))["type"] == "init"
    refused = await open_from(ONE)
    await send(refused, type="init")
    assert (await receive(refused))["reason"] == "rate-limited"
    clock[0] += 30_000_000_000  # half a minute: one of two games back
    await send(refused, type="init")
    assert (await receive(refused))["type"] == "init"
    another = await open_from(ONE)
    await send(another, type="init")
    assert (await receive(another))["reason"] == "rate-limited"


# Behind a proxy.


async def test_a_trusted_proxy_counts_each_forwarded_client_apart(limits, open_from):
    limits(connections=2, proxies=[PROXY])
    for _ in range(2):
        await open_from(PROXY, "203.0.113.7")
    await assert_refused_with_429(open_from, PROXY, "203.0.113.7")
    # Another client behind the same proxy isn't affected...
    await open_from(PROXY, "203.0.113.8")
    # ...nor is the proxy's own address, a client of its own without the header.
    await open_from(PROXY)
    await open_from(PROXY)
    await assert_refused_with_429(open_from, PROXY)


async def test_the_client_is_the_last_address_a_trusted_proxy_didnt_add(limits, open_from):
    limits(connections=1, proxies=[PROXY, "198.51.100.0/24"])
    # A client may write anything first; our proxies append what they saw.
    await open_from(PROXY, "10.9.9.9, 203.0.113.7, 198.51.100.1")
    await assert_refused_with_429(open_from, PROXY, "1.2.3.4, 203.0.113.7")
    await open_from(PROXY, "203.0.113.7, 203.0.113.9")


async def test_a_spoofed_header_from_an_untrusted_address_changes_nothing(limits, open_from):
    limits(connections=2, games=1, proxies=[PROXY])
    first = await open_from(STRANGER, "203.0.113.1")
    await open_from(STRANGER, "203.0.113.2")
    await assert_refused_with_429(open_from, STRANGER, "203.0.113.3")
    await assert_refused_with_429(open_from, STRANGER, PROXY)
    await send(first, type="init")
    assert (await receive(first))["type"] == "init"
    await first.close()
    await asyncio.sleep(10 * MS)
    again = await open_from(STRANGER, "203.0.113.4")
    await send(again, type="init")
    assert (await receive(again))["reason"] == "rate-limited"


async def test_a_malformed_forwarded_address_counts_as_the_proxy(limits, open_from, caplog):
    limits(connections=1, proxies=[PROXY])
    await open_from(PROXY, "not an address")
    await assert_refused_with_429(open_from, PROXY, "203.0.113.7, <script>")
    assert f"refusing client {PROXY}" in caplog.text
    assert "<script>" not in caplog.text and "Traceback" not in caplog.text


# A burst from one address while two others play.

# Run in a process of its own, so that its CPU doesn't slow the test's clients:
# 1,000 handshakes at once from one address, then 1,000 inits over the
# connections that opened. Prints what it got, as JSON.
BURST = """
import asyncio, collections, json, sys
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

uri, address, attempts, inits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

async def attempt():
    try:
        return await connect(uri, local_addr=(address, 0), open_timeout=60)
    except InvalidStatus as exc:
        return exc.response.status_code
    except Exception as exc:
        return repr(exc)

async def init(websocket, count):
    for _ in range(count):
        await websocket.send('{"type": "init"}')
    events = [json.loads(await websocket.recv()) for _ in range(count)]
    return [event.get("reason", event["type"]) for event in events]

async def main():
    results = await asyncio.gather(*[attempt() for _ in range(attempts)])
    opened = [result for result in results if not isinstance(result, (int, str))]
    statuses = collections.Counter(str(result) for result in results if isinstance(result, (int, str)))
    statuses["101"] = len(opened)
    shares = [inits // len(opened) + (n < inits % len(opened)) for n in range(len(opened))]
    replies = collections.Counter()
    for answers in await asyncio.gather(*[init(w, n) for w, n in zip(opened, shares)]):
        replies.update(answers)
    for websocket in opened:
        await websocket.close()
    print(json.dumps({"statuses": statuses, "replies": replies}))

asyncio.run(main())
"""


async def play_and_time(uri, stop=None, games=1):
    """Play whole games between two other addresses; return each move's latency in ms.

    With stop, an asyncio.Event, play games until it is set. Each game's
    players have addresses of their own, 127.0.1.N and 127.0.2.N, so that
    these games never meet the limits themselves.

    """
    latencies = []
    played = 0
    while (stop is None and played < games) or (stop is not None and not stop.is_set()):
        red_address, yellow_address = (f"127.0.{n}.{played % 250 + 1}" for n in (1, 2))
        async with connect(uri, local_addr=(red_address, 0)) as red, \
                connect(uri, local_addr=(yellow_address, 0)) as yellow:  # fmt: skip
            await send(red, type="init")
            await send(yellow, type="init", join=(await receive(red))["join"])
            for _ in range(2):
                await receive(yellow)
            await receive(red)  # yellow joined
            for index, column in enumerate(DRAW):
                mover = yellow if index % 2 else red
                started = time.perf_counter()
                await send(mover, type="play", column=column)
                await receive(red, timeout=5000 * MS)
                await receive(yellow, timeout=5000 * MS)
                latencies.append((time.perf_counter() - started) * 1000)
        played += 1
    return latencies


def p99(latencies):
    """The 99th percentile of latencies."""
    return statistics.quantiles(latencies, n=100)[98]


async def test_a_burst_from_one_address_leaves_other_games_alone(app_process):
    server = app_process("--max-client-connections", "100", "--max-client-games", "60")
    quiet = await play_and_time(server.uri, games=4)

    stop = asyncio.Event()
    loaded_game = asyncio.create_task(play_and_time(server.uri, stop))
    started = time.monotonic()
    burst = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BURST, server.uri, ONE, "1000", "1000",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(burst.communicate(), 120_000 * MS)
    elapsed = time.monotonic() - started
    stop.set()
    loaded = await loaded_game
    result = json.loads(output)

    # Exactly 100 connections opened; the rest were refused before the handshake.
    assert result["statuses"] == {"101": 100, "429": 900}
    replies = collections.Counter(result["replies"])
    assert sum(replies.values()) == 1000
    # 60 games, and one more for each second the burst took, as the minute refills.
    assert 60 <= replies["init"] <= 60 + elapsed + 1, (replies, elapsed)
    assert set(replies) == {"init", "rate-limited", "in-game"}

    # The game between two other addresses played on as fast as on a quiet server.
    print(
        f"\nmove latency p50/p99, ms: quiet {statistics.median(quiet):.1f}/{p99(quiet):.1f} "
        f"({len(quiet)} moves), during the burst {statistics.median(loaded):.1f}/{p99(loaded):.1f} "
        f"({len(loaded)} moves); the burst took {elapsed:.1f} s"
    )
    assert len(loaded) >= 42
    assert p99(loaded) <= p99(quiet) + 50 * MS * 1000

    # Other addresses still start games; the log names the client, no traceback.
    assert len(await play_and_time(server.uri)) == len(DRAW)
    _, log = server.stop()
    assert f"refusing client {ONE}: 100 connections are open from it" in log
    assert f"refusing client {ONE}: it started 60 games" in log
    assert "127.0.1." not in log and "127.0.2." not in log
    assert "Traceback" not in log and "ERROR" not in log
