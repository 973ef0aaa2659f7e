"""Do computer players slow down people's games? Move latency, quiet and busy.

  python -m bench computer --games 200 --computers 20 --rounds 3

One app.py server, its computer players moving at once (--computer-delay 0).
Each round plays the same load of people's games twice: on the quiet server,
and while --computers games against the perfect computer run beside them,
its searches taking the worker processes' CPU. Quiet and busy alternate in
order from round to round, so that the machine's own noise weighs on both.

"""

import asyncio
import contextlib
import json
import random

from websockets.asyncio.client import connect

from bench.load import DRAW, close_games, open_games, play_games
from bench.report import Progress, median, percentile, table
from bench.runs import warm_up
from bench.servers import Server

GOAL_MS = 5  # busy p99 at most this much above quiet p99


async def computer_games(uri, count, stop, counts):
    """Play count games against the perfect computer until stop is set.

    The person plays random moves and asks for a rematch after each game, so
    that the computer searches all along. counts["searches"] counts its moves.

    """

    async def one():
        rng = random.Random()
        async with connect(uri) as websocket:
            await websocket.send(json.dumps({"type": "init", "computer": "perfect"}))
            me, heights = None, [0] * 7
            while not stop.is_set():
                event = json.loads(await websocket.recv())
                if event["type"] == "init":
                    me, heights = event["player"], [0] * 7
                elif event["type"] == "play":
                    heights[event["column"]] += 1
                    if event["player"] != me:
                        counts["searches"] += 1
                elif event["type"] in ("win", "draw"):
                    await websocket.send('{"type": "rematch"}')
                    continue
                else:
                    continue
                red_to_move = sum(heights) % 2 == 0
                if (me == "red") == red_to_move:
                    column = rng.choice([c for c in range(7) if heights[c] < 6])
                    await websocket.send(json.dumps({"type": "play", "column": column}))

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def people_games(server, games, label, errors):
    """Open and play games of people on the server; return their move latencies."""
    with Progress(f"{label}: opening {games} games", games) as progress:
        opened = await open_games(server.uris, games, progress, errors, server.canned)
    with Progress(f"{label}: playing", games * len(DRAW)) as progress:
        latencies = await play_games(opened, DRAW, progress, errors)
    await close_games(opened, Progress.off)
    return latencies


async def run(games, computers, rounds, limit):
    """Measure people's move latency, quiet and busy, rounds times."""
    results = {"quiet": [], "busy": []}
    errors = []
    with Server("app, computer moving at once") as server:
        errors += await warm_up(server, DRAW)
        for round in range(rounds):
            order = ["quiet", "busy"] if round % 2 == 0 else ["busy", "quiet"]
            for phase in order:
                label = f"round {round + 1}/{rounds}, {phase}"
                counts = {"searches": 0}
                stop = asyncio.Event()
                load = None
                if phase == "busy":
                    load = asyncio.create_task(computer_games(server.uri, computers, stop, counts))
                    # Measure once the workers are up and every computer has moved.
                    async with asyncio.timeout(limit):
                        while counts["searches"] < computers:
                            await asyncio.sleep(0.1)
                    counts["searches"] = 0
                try:
                    async with asyncio.timeout(limit):
                        latencies = await people_games(server, games, label, errors)
                finally:
                    stop.set()
                    if load is not None:
                        await load
                results[phase].append(
                    {
                        "p50_ms": 1e3 * percentile(latencies, 50),
                        "p99_ms": 1e3 * percentile(latencies, 99),
                        "computer_moves": counts["searches"],
                    }
                )
        errors += server.errors()
    return results, errors


def report(results, errors, games, computers):
    """The table of medians over rounds, and whether the goal is met."""
    rows = []
    for key, label in [("p50_ms", "move latency p50, ms"), ("p99_ms", "move latency p99, ms")]:
        quiet = median(run[key] for run in results["quiet"])
        busy = median(run[key] for run in results["busy"])
        rows.append([f"{label}, {games} games", quiet, busy, busy - quiet])
    moves = median(run["computer_moves"] for run in results["busy"])
    rows.append([f"computer moves meanwhile, {computers} games", 0, moves, None])
    rows.append(["errors", len(errors), None, None])
    extra = rows[1][3]
    goal = f"busy p99 ≤ quiet p99 + {GOAL_MS} ms: {extra:+.1f} ms"
    return table(["", "quiet", "busy", "busy − quiet"], rows), goal, extra <= GOAL_MS
