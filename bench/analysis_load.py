"""Analyses and the computer's moves on app.py's search pool: wall times and memory.

  python -m bench analysis --games 100

One app.py server, its computer players moving at once (--computer-delay 0).
Finished games are played on it as people's games, then analysed:

- one at a time: the wall time from the "analyse" request to the "analysis"
  event, on --games games, half a perfect player against a medium one, half
  random (issue 16's target: max ≤ 2 s);
- ten at once, --rounds times: the time until the last answer (target: 5 s),
  while a person plays the perfect computer, a move every 0.1 s at most,
  whose moves must still come within their target (0.3 s +
  --computer-delay, which is 0 here);
- the memory of the server and every worker of its pool, sampled while the
  ten analyses run: resident (RSS, pages shared between processes counted
  in each) and proportional (PSS, a shared page split between its sharers).

The games are generated here, seeded, with computer/levels.py.

  python -m bench analysis --games 4 --rounds 1 --servers app app@5474603

measures app.py at git revision 5474603 (pure-Python search, each worker
loading the book itself: the code when issue 16 was written) after the
current one, on the same games, and sets their busy pools' peak PSS side by
side. An earlier revision's pool may refuse some of ten analyses at once;
its pool is busy all the same while the others run.

"""

import asyncio
import json
import random
import time
from pathlib import Path

from websockets.asyncio.client import connect

from bench.load import Game
from bench.report import Progress, median, percentile, table
from bench.servers import Server
from computer import levels
from solver import Position

ANALYSIS_MAX, TEN_AT_ONCE_MAX, COMPUTER_MOVE_MAX = 2.0, 5.0, 0.3
AT_ONCE = 10
SAMPLE_EVERY = 0.05  # seconds between memory samples
THINK = 0.1  # seconds the person takes for a move, at the least
COMPUTER_AT_ONCE = ["--computer-delay", "0"]  # app.py's option, at every revision measured


def perfect_against_medium(rng):
    """A finished game: the perfect player against a medium one, who starts at random."""
    players = ["perfect", "medium"] if rng.random() < 0.5 else ["medium", "perfect"]
    return play_out(rng, lambda columns: levels.choose_move(columns, players[len(columns) % 2], rng))


def random_game(rng):
    """A finished game of random moves."""
    return play_out(rng, lambda columns: rng.choice(Position.from_columns(columns).playable_columns()))


def play_out(rng, next_move):
    """The columns of a game played with next_move(columns) until it's over."""
    columns = []
    while not Position.from_columns(columns).over:
        columns.append(next_move(columns))
    return columns


def finished_games(count, seed):
    """count finished games, half perfect against medium, half random."""
    rng = random.Random(seed)
    return [perfect_against_medium(rng) if index % 2 == 0 else random_game(rng) for index in range(count)]


async def analysed(game):
    """Ask for a finished game's analysis; return the seconds until its event, None if refused."""
    sent = time.perf_counter()
    await game.red.send('{"type": "analyse"}')
    while True:
        event = json.loads(await game.red.recv())
        if event["type"] == "analysis":
            return time.perf_counter() - sent
        if event["type"] == "error":
            return None  # the server is busy


async def finished(server, columns):
    """A people's game on the server, played to its end."""
    game = await Game.open(server.uri, server.uri, server.uri)
    await game.play(columns, [], Progress.off)
    return game


async def one_at_a_time(server, games):
    """Each game's analysis alone: wall seconds from request to event."""
    times = []
    with Progress("analyses one at a time", len(games)) as progress:
        for columns in games:
            game = await finished(server, columns)
            times.append(await analysed(game))
            await game.close()
            progress.advance()
    return times


class ComputerGame:
    """A person, playing random moves, against the perfect computer on the server."""

    def __init__(self, websocket, rng):
        self.websocket, self.rng = websocket, rng
        self.columns = []

    @classmethod
    async def open(cls, uri, rng):
        websocket = await connect(uri, ping_interval=None)
        await websocket.send(json.dumps({"type": "init", "computer": "perfect"}))
        while json.loads(await websocket.recv())["type"] != "init":
            pass
        return cls(websocket, rng)

    async def move(self):
        """Play a move and return the seconds until the computer's reply; None at the end."""
        position = Position.from_columns(self.columns)
        if position.over:  # the computer's last move ended it
            return None
        column = self.rng.choice(position.playable_columns())
        sent = time.perf_counter()
        await self.websocket.send(json.dumps({"type": "play", "column": column}))
        while True:
            event = json.loads(await self.websocket.recv())
            if event["type"] == "play":
                self.columns.append(event["column"])
                if len(self.columns) % 2 == 0:
                    return time.perf_counter() - sent
            elif event["type"] in ("win", "draw"):
                return None


async def ten_at_once(server, games, rng, memory):
    """Ten games ask for their analysis at once while a person plays the computer.

    Return the seconds until the last analysis and the computer's reply times
    meanwhile; memory samples go to memory.

    """
    opened = [await finished(server, columns) for columns in games]
    person = await ComputerGame.open(server.uri, rng)
    sampling = asyncio.create_task(sample_memory(server.processes[0].pid, memory))
    started = time.perf_counter()
    analyses = asyncio.gather(*(analysed(game) for game in opened))
    replies = []
    await asyncio.sleep(SAMPLE_EVERY)  # the analyses' searches are queued by now
    while not analyses.done():
        await asyncio.sleep(THINK)
        reply = await person.move()
        if reply is None:  # the game is over: a new one
            await person.websocket.close()
            person = await ComputerGame.open(server.uri, rng)
        else:
            replies.append(reply)
    answers = await analyses
    last = time.perf_counter() - started if None not in answers else None
    sampling.cancel()
    await asyncio.gather(person.websocket.close(), *(game.close() for game in opened))
    return last, replies


def process_tree(pid):
    """pid and the ids of all its descendants, from /proc."""
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return pids


def memory_kib(pid):
    """A process's Rss and Pss in KiB, from /proc/PID/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields["Rss"], fields["Pss"]


async def sample_memory(pid, memory):
    """Append the process tree's memory to memory, every SAMPLE_EVERY seconds, until cancelled."""
    while True:
        try:
            pids = process_tree(pid)
            sizes = [memory_kib(each) for each in pids]
        except (FileNotFoundError, ProcessLookupError):
            pass  # a process ended while being read
        else:
            memory.append(
                {
                    "processes": len(pids),
                    "server_rss_kib": sizes[0][0],
                    "rss_kib": sum(rss for rss, _ in sizes),
                    "pss_kib": sum(pss for _, pss in sizes),
                }
            )
        await asyncio.sleep(SAMPLE_EVERY)


async def run(games, rounds, seed, limit, servers=("app",)):
    """Measure each server in turn on the same games; return their results by name."""
    with Progress("generating games", 1) as progress:
        # Games that weren't analysed before: the workers' tables don't know them.
        played = finished_games(2 + games + rounds * AT_ONCE, seed)
        progress.advance()
    return {name: await measure(name, played, games, rounds, seed, limit) for name in servers}


async def measure(name, played, games, rounds, seed, limit):
    """Measure analyses one at a time, ten at once with a computer game, and memory."""
    rng = random.Random(seed)
    warm, played, batches = played[:2], played[2 : 2 + games], played[2 + games :]
    results = {"one": [], "ten": [], "replies": [], "memory": []}
    with Server(name, options=COMPUTER_AT_ONCE) as server:
        async with asyncio.timeout(limit):
            # Warm up: the pool's workers start and load the book on first use.
            await one_at_a_time(server, warm)
            results["one"] = await one_at_a_time(server, played)
            for round in range(rounds):
                batch = batches[round * AT_ONCE : (round + 1) * AT_ONCE]
                last, replies = await ten_at_once(server, batch, rng, results["memory"])
                results["ten"].append(last)
                results["replies"] += replies
        results["errors"] = server.errors()
    return results


def report(results, games, rounds):
    """The table and the goals, met or not."""
    one, replies, memory = (results[key] for key in ("one", "replies", "memory"))
    ten = [last for last in results["ten"] if last is not None]
    refused = len(results["ten"]) - len(ten)
    peak = max(memory, key=lambda sample: sample["pss_kib"]) if memory else None
    rows = [
        [f"one analysis alone, s, {games} games", median(one), percentile(one, 99), max(one)],
        [f"{AT_ONCE} at once: last answer, s, {rounds} rounds", median(ten), None, max(ten, default=None)],
        [f"computer's move meanwhile, s, {len(replies)} moves",
         median(replies), percentile(replies, 99), max(replies) if replies else None],
    ]  # fmt: skip
    if peak is not None:
        rows.append([f"memory, peak PSS, MiB, {peak['processes']} processes", None, None, peak["pss_kib"] / 1024])
        rows.append(["memory, RSS at that peak, MiB", None, None, peak["rss_kib"] / 1024])
        rows.append(["  of which the server, MiB", None, None, peak["server_rss_kib"] / 1024])
    goals = [
        (f"one analysis ≤ {ANALYSIS_MAX:g} s", max(one) <= ANALYSIS_MAX),
        (f"{AT_ONCE} analyses at once all answered ≤ {TEN_AT_ONCE_MAX:g} s"
         f" ({refused} rounds had some refused)", not refused and max(ten) <= TEN_AT_ONCE_MAX),
        (f"the computer's move meanwhile ≤ {COMPUTER_MOVE_MAX:g} s",
         bool(replies) and max(replies) <= COMPUTER_MOVE_MAX),
        ("no warnings or errors in the server's log", not results["errors"]),
    ]  # fmt: skip
    return table(["", "median", "p99", "max"], rows), goals


def peak_pss_mib(results):
    """The highest PSS of the server and its processes sampled, in MiB; None without samples."""
    peak = max((sample["pss_kib"] for sample in results["memory"]), default=None)
    return None if peak is None else peak / 1024


def compare_memory(by_server):
    """The busy pools' peak PSS side by side, and app's against half of each earlier one's."""
    peaks = {name: peak_pss_mib(results) for name, results in by_server.items()}
    rows = [[name, peak] for name, peak in peaks.items()]
    goals = [
        (f"app's busy pool ≤ half of {name}'s, peak PSS: {peaks['app']:.1f} / {peak:.1f} MiB",
         peaks["app"] <= peak / 2)
        for name, peak in peaks.items()
        if name != "app" and "app" in peaks and None not in (peak, peaks["app"])
    ]  # fmt: skip
    return table(["", "busy pool, peak PSS, MiB"], rows), goals
