"""Solver searches in other processes, so that no game ever waits for one.

A search takes no time at all for the first moves (they are precomputed)
and most of the game, but up to about 8 CPU seconds for the perfect
computer's move, and 27 for all 7 scores, on the hardest positions with 12
to 16 checkers (bench/SOLVER.md). On the event loop it would stall every
game of the process for that long, so searches run
in a small pool of worker processes: started on first use, each loading the
solver and its opening book once, at a lower priority than the game server,
so that the moves of people's games go first when the CPU is busy.

"""

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import random
import signal

from computer import levels
from solver import Position

__all__ = ["SearchPool", "Busy"]

log = logging.getLogger("connect4")


class Busy(Exception):
    """Too many searches are waiting already."""


class SearchPool:
    """Worker processes that choose computer moves and analyse games."""

    def __init__(self, workers=None, queue=64, seed=None):
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        # Searches running or waiting. A computer game waits for one search at
        # a time, so their number is bounded by the number of games; an
        # analysis is refused once this many wait.
        self.pending = 0
        self.max_pending = self.workers * queue
        # Each computer move gets its own seed from here: seeded, the pool
        # makes a computer's games repeatable.
        self.seeds = random.Random(seed)
        self.executor = None

    async def choose_move(self, columns, level):
        """The computer's move, at that level, in the game after these columns."""
        return await self.run(choose_move, list(columns), level, self.seeds.getrandbits(64))

    async def scores(self, columns):
        """The exact score of each of the 7 moves after these columns: a hint."""
        return await self.run(scores, list(columns))

    async def analyse(self, columns):
        """The scores of every move at every position of a finished game."""
        if self.pending >= self.max_pending:
            raise Busy
        # One search per position, spread over the workers.
        positions = [list(columns[:moves]) for moves in range(len(columns) + 1)]
        return await asyncio.gather(*[self.run(scores, position) for position in positions])

    async def run(self, function, *args):
        """Run function in a worker process and return its result."""
        if self.executor is None:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                self.workers,
                # Not fork: forking a process with an event loop and threads
                # copies them half-alive.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=prepare_worker,
            )
        loop = asyncio.get_running_loop()
        self.pending += 1
        try:
            return await loop.run_in_executor(self.executor, function, *args)
        finally:
            self.pending -= 1

    def close(self):
        """Stop the workers, dropping the searches that haven't started."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def prepare_worker():
    """Set up a worker process: low priority, deaf to Ctrl-C, solver loaded."""
    with contextlib.suppress(OSError, AttributeError):  # not every system has nice()
        os.nice(10)
    # Ctrl-C reaches every process of the terminal; the server stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    levels.shared_solver()


def choose_move(columns, level, seed):
    """In a worker: the computer's move, with its own random numbers."""
    return levels.choose_move(columns, level, random.Random(seed))


def scores(columns):
    """In a worker: the exact score of each move after these columns."""
    return levels.shared_solver().scores(Position.from_columns(columns))
