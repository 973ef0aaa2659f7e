"""Do computer players slow down people's games? Move latency, quiet and busy.

  python -m bench computer --games 200 --computers 20 --rounds 3

One app.py server, its computer players moving at once (--computer-delay 0).
Each round plays the same load of people's games twice: on the quiet server,
and while --computers games against the perfect computer run beside them,
its searches taking the worker processes' CPU. Quiet and busy alternate in
order from round to round, so that the machine's own noise weighs on both.

  python -m bench computer --hints

The same, the persons playing the computer with hints on: after each of the
computer's moves, the pool also scores the person's 7 moves (issue 16's
target: other games' p99 within 5 ms of the quiet server's).

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


async def computer_games(uri, count, stop, counts, hints=False, think=0.0):
    """Play count games against the perfect computer until stop is set.

    The person plays random moves and asks for a rematch after each game, so
    that the computer searches all along. counts["searches"] counts its moves.
    With hints on, the person waits for each position's hint before moving,
    as someone reading them would; counts["hints"] counts them. With think,
    the person waits that many seconds on average before each move, as the
    people of the other games do.

    """

    async def one():
        async with connect(uri) as websocket:
            await websocket.send(json.dumps({"type": "init", "computer": "perfect"}))
            if hints:
                await websocket.send('{"type": "hints", "on": true}')
            person = Person(websocket, hints, think)
            while not stop.is_set():
                await person.receive(json.loads(await websocket.recv()), counts)

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Person:
    """A person playing random moves against the computer, with hints or not."""

    def __init__(self, websocket, hints, think=0.0):
        self.websocket, self.hints, self.think = websocket, hints, think
        self.rng = random.Random()
        self.me, self.heights, self.hinted = None, [0] * 7, False

    async def receive(self, event, counts):
        """Follow the game through an event; play when it's the person's turn."""
        if event["type"] == "init":
            self.me, self.heights, self.hinted = event["player"], [0] * 7, False
        elif event["type"] == "play":
            self.heights[event["column"]] += 1
            self.hinted = False
            if event["player"] != self.me:
                counts["searches"] += 1
        elif event["type"] == "hints":
            self.hinted = True
            counts["hints"] += 1
        elif event["type"] in ("win", "draw"):
            await self.websocket.send('{"type": "rematch"}')
            return
        else:
            return
        red_to_move = sum(self.heights) % 2 == 0
        if (self.me == "red") == red_to_move and (self.hinted or not self.hints):
            column = self.rng.choice([c for c in range(7) if self.heights[c] < 6])
            if self.think:
                await asyncio.sleep(self.rng.uniform(0, 2 * self.think))
            await self.websocket.send(json.dumps({"type": "play", "column": column}))
            self.hinted = False


async def people_games(server, games, label, errors, think=0.0):
    """Open and play games of people on the server; return their move latencies.

    With think, each person waits that many seconds on average before each
    move, as in `bench compare --think`: a server with time to spare.

    """
    with Progress(f"{label}: opening {games} games", games) as progress:
        opened = await open_games(server.uris, games, progress, errors, server.canned)
    with Progress(f"{label}: playing", games * len(DRAW)) as progress:
        latencies = await play_games(opened, DRAW, progress, errors, think)
    await close_games(opened, Progress.off)
    return latencies


async def run(games, computers, rounds, limit, hints=False, think=0.0):
    """Measure people's move latency, quiet and busy, rounds times."""
    results = {"quiet": [], "busy": []}
    errors = []
    with Server("app, computer moving at once") as server:
        errors += await warm_up(server, DRAW)
        for round in range(rounds):
            order = ["quiet", "busy"] if round % 2 == 0 else ["busy", "quiet"]
            for phase in order:
                label = f"round {round + 1}/{rounds}, {phase}"
                counts = {"searches": 0, "hints": 0}
                stop = asyncio.Event()
                load = None
                if phase == "busy":
                    playing = computer_games(server.uri, computers, stop, counts, hints, think)
                    load = asyncio.create_task(playing)
                    # Measure once the workers are up and every computer has moved.
                    async with asyncio.timeout(limit):
                        while counts["searches"] < computers:
                            await asyncio.sleep(0.1)
                    counts["searches"] = counts["hints"] = 0
                try:
                    async with asyncio.timeout(limit):
                        latencies = await people_games(server, games, label, errors, think)
                finally:
                    stop.set()
                    if load is not None:
                        await load
                results[phase].append(
                    {
                        "p50_ms": 1e3 * percentile(latencies, 50),
                        "p99_ms": 1e3 * percentile(latencies, 99),
                        "computer_moves": counts["searches"],
                        "hints": counts["hints"],
                    }
                )
        errors += server.errors()
    return results, errors


def report(results, errors, games, computers, think=0.0):
    """The table of medians over rounds, and whether the goal is met."""
    rows = []
    pace = f", {1000 * think:g} ms to think" if think else ""
    for key, label in [("p50_ms", "move latency p50, ms"), ("p99_ms", "move latency p99, ms")]:
        quiet = median(run[key] for run in results["quiet"])
        busy = median(run[key] for run in results["busy"])
        rows.append([f"{label}, {games} games{pace}", quiet, busy, busy - quiet])
    moves = median(run["computer_moves"] for run in results["busy"])
    rows.append([f"computer moves meanwhile, {computers} games", 0, moves, None])
    hints = median(run["hints"] for run in results["busy"])
    if hints:
        rows.append([f"hints meanwhile, {computers} games", 0, hints, None])
    rows.append(["errors", len(errors), None, None])
    extra = rows[1][3]
    busy = "busy, hints on," if hints else "busy"
    goal = f"{busy} p99 ≤ quiet p99 + {GOAL_MS} ms: {extra:+.1f} ms"
    return table(["", "quiet", "busy", "busy − quiet"], rows), goal, extra <= GOAL_MS
