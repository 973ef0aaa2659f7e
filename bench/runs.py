"""The two measurements: moves, on servers running side by side, and connections."""

import asyncio
import contextlib
import time

from bench.load import DRAW, check_quiet, close_games, open_games, play_games
from bench.report import Progress, percentile
from bench.servers import Server

# Games played on a new server before measuring, so that first-time costs aren't counted.
WARM_UP = 4


async def warm_up(server, columns):
    """Open a few games, play columns in them and close them; return errors."""
    errors = []
    games = await open_games(server.uris, WARM_UP, Progress.off, errors, server.canned)
    await play_games(games, columns, Progress.off, errors)
    await close_games(games, Progress.off)
    return errors


async def moves(names, games, rounds, limit, think=0.0):
    """Play games full games at once, rounds times, on each server: speed, latency, CPU per move.

    The servers run side by side. Each round opens games on every server, then
    plays them on one server after the other, in alternating order, so that
    whatever else the machine is doing affects them alike. Return a result
    for each server and round; errors that a server logged count in its last.

    Players move as fast as they can, which keeps a server busy all along; with
    think, they wait that many seconds before each move: a "paced" run, where
    a move's latency is that of a server with time to spare.

    """
    results = []
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(Server(name)) for name in names]
        warm_up_errors = [await warm_up(server, DRAW) for server in servers]
        for round in range(rounds):
            label = f"round {round + 1}/{rounds}, " if rounds > 1 else ""
            opened = [await open_round(server, games, limit, label) for server in servers]
            order = list(zip(servers, opened))
            for server, (games_opened, errors) in order[:: 1 if round % 2 == 0 else -1]:
                moves = games * len(DRAW)
                with Progress(f"{label}{server.name}: playing {moves} moves", moves) as progress:
                    measured = await measure(server, games_opened, progress, errors, limit, think)
                kind = "paced" if think else "moves"
                results.append(
                    {"kind": kind, "server": server.name, "games": games, "round": round}
                    | measured
                )
            for games_opened, _ in opened:
                await close_games(games_opened, Progress.off)
    for server, errors in zip(servers, warm_up_errors):
        [*_, last] = (result for result in results if result["server"] == server.name)
        last["errors"] += errors + server.errors()
    return results


async def open_round(server, games, limit, label):
    """Open a round's games on server: (games opened, errors), none opened past limit seconds."""
    errors = []
    with Progress(f"{label}{server.name}: opening {games} games", games) as progress:
        try:
            async with asyncio.timeout(limit):
                return await open_games(server.uris, games, progress, errors, server.canned), errors
        except TimeoutError:
            errors.append(f"{server.name}: opening games took over {limit} s")
            return [], errors


class RedisMeter:
    """What a server's redis-server did between start() and stop(): CPU time and commands."""

    def __init__(self, server):
        self.redis = server.redis

    def start(self):
        if self.redis is not None:
            self.cpu, self.commands = self.redis.cpu_seconds(), self.redis.commands()

    def stop(self, count, unit):
        """Figures per count units (moves, connections), for the result."""
        if self.redis is None or not count:
            return {}
        cpu, commands = self.redis.cpu_seconds() - self.cpu, self.redis.commands()
        used = {name: calls - self.commands.get(name, 0) for name, calls in commands.items()}
        return {
            f"redis_cpu_ms_per_1000_{unit}": 1e6 * cpu / count,
            f"redis_commands_per_{unit[:-1]}": used.pop("all from clients") / count,
            # Commands that scripts run count under their own names here.
            f"redis_commandstats_per_{unit[:-1]}": {
                name: calls / count for name, calls in sorted(used.items()) if calls
            },
        }


async def measure(server, games, progress, errors, limit, think=0.0):
    """Play the open games all at once and measure the server meanwhile.

    Then check that no connection receives an event more.

    """
    meter = RedisMeter(server)
    meter.start()
    cpu, start = server.cpu_seconds(), time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            latencies = await play_games(games, DRAW, progress, errors, think)
    except TimeoutError:
        return {"errors": errors + [f"{server.name}: playing took over {limit} s"]}
    seconds, cpu = time.perf_counter() - start, server.cpu_seconds() - cpu
    redis = meter.stop(len(latencies), "moves")
    await check_quiet(games, errors)
    if not latencies:
        return {"errors": errors}
    return {
        "moves": len(latencies),
        "moves_per_second": len(latencies) / seconds,
        "cpu_ms_per_1000_moves": 1e6 * cpu / len(latencies),
        "p50_ms": 1e3 * percentile(latencies, 50),
        "p99_ms": 1e3 * percentile(latencies, 99),
        **redis,
        "errors": errors,
    }


async def connections(name, games, limit):
    """Hold games open on a fresh server, a move played in each: its memory per connection."""
    result = {"kind": "connections", "server": name, "games": games, "round": 0}
    with Server(name) as server:
        try:
            async with asyncio.timeout(limit):
                errors = await warm_up(server, DRAW[:1])
                await asyncio.sleep(0.2)
                meter = RedisMeter(server)
                redis_before = server.redis and server.redis.rss_bytes()
                meter.start()
                before, cpu = server.rss_bytes(), server.cpu_seconds()
                with Progress(f"{name}: opening {games} games", games) as progress:
                    opened = await open_games(server.uris, games, progress, errors, server.canned)
                cpu = server.cpu_seconds() - cpu
                redis = meter.stop(3 * len(opened), "connections")
                await play_games(opened, DRAW[:1], Progress.off, errors)
                await asyncio.sleep(0.2)
                after = server.rss_bytes()
                if server.redis is not None and opened:
                    grown = server.redis.rss_bytes() - redis_before
                    redis["redis_kib_per_connection"] = grown / 1024 / (3 * len(opened))
                with Progress(f"{name}: closing {games} games", games) as progress:
                    await close_games(opened, progress)
        except TimeoutError:
            return result | {"errors": [f"{name}: over {limit} s"]}
    result["errors"] = errors + server.errors()
    if opened:
        count = 3 * len(opened)
        result |= {
            "connections": count,
            "kib_per_connection": (after - before) / 1024 / count,
            "cpu_ms_per_connection": 1e3 * cpu / count,
            **redis,
        }
    return result
