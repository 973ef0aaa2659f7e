"""Solver searches in other processes, so that no game ever waits for one.

With the compiled search (solver/_search.c), the perfect computer's move
takes at most about 0.1 s and scoring a position's 7 moves about 0.3 s, on
the hardest positions, with 12 to 16 checkers (bench/SOLVER.md); the Python
search, where the extension isn't built, takes up to 70 times as long. On
the event loop that would stall every game of the process, so searches run
in a small pool of worker processes: started on first use, each loading the
solver once, at a lower priority than the game server, so that the moves of
people's games go first when the CPU is busy. The opening book is mapped
from a cache file (solver/book_cache.py): one copy in memory for all workers.

The pool hands the workers one search each and keeps the others waiting in
order of priority: a person waiting for the computer's move goes before a
hint, and a hint before a game's analysis, which is a search per position.
With two workers or more, analyses leave one to people's searches, so that
a computer's move never waits for an analysis' search to end.
A search that takes more than SLOW times its target is logged: with the
compiled search, that is a bug to look into.

"""

import asyncio
import concurrent.futures
import contextlib
import functools
import heapq
import itertools
import logging
import multiprocessing
import os
import random
import signal
import threading
import time

from computer import levels
from solver import Position, search

__all__ = ["SearchPool", "Busy", "COMPUTER_MOVE", "HINT", "ANALYSIS"]

log = logging.getLogger("connect4")

# Priorities, the lowest first.
COMPUTER_MOVE, HINT, ANALYSIS = 0, 1, 2

# Targets, in seconds (issue 16): the computer's move, and scoring 7 moves.
MOVE_TARGET, SCORES_TARGET = 0.3, 0.25
SLOW = 10  # a search over this many times its target is logged
# The Python search takes up to 70 times as long (bench/SOLVER.md): expected,
# where the extension isn't built, and not worth a warning at each search.
PYTHON_SLOWDOWN = 1 if search.IMPLEMENTATION == "C" else 100


class Busy(Exception):
    """Too many analyses are waiting already."""


class SearchPool:
    """Worker processes that choose computer moves and analyse games, most urgent first."""

    def __init__(self, workers=None, queue=8, seed=None):
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        # Searches running or waiting. A computer game waits for one search at
        # a time, so their number is bounded by the number of games; an
        # analysis, a search per position, is refused once `queue` analyses
        # per worker wait: at about 0.3 s of CPU each, the last would wait
        # a few seconds.
        self.pending = 0
        self.analyses = 0
        self.max_analyses = self.workers * queue
        # Searches waiting for a worker: (priority, order, future, call).
        self.waiting = []
        self.order = itertools.count()  # first come, first served within a priority
        # Analyses leave a worker free for people, where there are two or
        # more: a computer's move or a hint then never waits for a search
        # of an analysis to end, which may take a quarter of a second.
        self.running = {COMPUTER_MOVE: 0, HINT: 0, ANALYSIS: 0}
        self.analysis_workers = max(1, self.workers - 1)
        self.lock = threading.RLock()  # the executor's thread dispatches too
        # Each computer move gets its own seed from here: seeded, the pool
        # makes a computer's games repeatable.
        self.seeds = random.Random(seed)
        self.executor = None

    async def choose_move(self, columns, level):
        """The computer's move, at that level, in the game after these columns."""
        seed = self.seeds.getrandbits(64)
        return await self.run(COMPUTER_MOVE, choose_move, list(columns), level, seed)

    async def hints(self, columns):
        """The scores of the moves after these columns, for a person who asked for hints."""
        return await self.run(HINT, scores, list(columns))

    async def analyse(self, columns):
        """The scores of every move at every position of a finished game."""
        if self.analyses >= self.max_analyses:
            raise Busy
        self.analyses += 1
        try:
            # One search per position, spread over the workers.
            positions = [list(columns[:moves]) for moves in range(len(columns) + 1)]
            return await asyncio.gather(*[self.run(ANALYSIS, scores, position) for position in positions])
        finally:
            self.analyses -= 1

    async def run(self, priority, function, *args):
        """Run function(*args) in a worker once the searches of lower priority numbers are done."""
        future = asyncio.get_running_loop().create_future()
        with self.lock:
            heapq.heappush(self.waiting, (priority, next(self.order), future, function, args))
        self.pending += 1
        try:
            self.dispatch()
            result, seconds = await future
        finally:
            self.pending -= 1
        check_time(function, args, seconds)
        return result

    def dispatch(self):
        """Hand waiting searches to idle workers, the most urgent first."""
        # From the event loop, and from the executor's thread when a search
        # ends: not through the loop, which a search may outlive (each test
        # has its own), and then its worker would never count as free again.
        with self.lock:
            while self.waiting and sum(self.running.values()) < self.workers:
                priority, _, future, function, args = self.waiting[0]
                if priority == ANALYSIS and self.running[ANALYSIS] >= self.analysis_workers:
                    break  # only analyses wait, and they have their workers
                heapq.heappop(self.waiting)
                if future.done():  # cancelled: nobody waits for it any more
                    continue
                try:
                    search = self.start_executor().submit(timed, function, *args)
                except RuntimeError as exc:  # shut down, or broken: a worker died
                    if isinstance(exc, concurrent.futures.BrokenExecutor):
                        self.executor = None  # the next search starts new workers
                    with contextlib.suppress(RuntimeError):  # the loop is gone
                        future.get_loop().call_soon_threadsafe(pass_on, exc, future)
                    continue
                self.running[priority] += 1
                search.add_done_callback(functools.partial(self.finished, priority, future))

    def finished(self, priority, future, search):
        """A worker is free: start the next search; pass this one's result to its waiter."""
        with self.lock:
            self.running[priority] -= 1
        self.dispatch()
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            future.get_loop().call_soon_threadsafe(pass_on, search, future)

    def start_executor(self):
        """The worker processes, started on first use."""
        if self.executor is None:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                self.workers,
                # Not fork: forking a process with an event loop and threads
                # copies them half-alive.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=prepare_worker,
            )
        return self.executor

    def close(self):
        """Stop the workers, dropping the searches that haven't started."""
        with self.lock:
            for _, _, future, _, _ in self.waiting:
                with contextlib.suppress(RuntimeError):  # the loop is gone
                    future.get_loop().call_soon_threadsafe(future.cancel)
            self.waiting.clear()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def pass_on(search, future):
    """On the event loop: give a search's result, or its exception, to whoever waits for it."""
    if future.done():
        return
    if isinstance(search, Exception):
        future.set_exception(search)
    elif search.cancelled():
        future.cancel()
    elif search.exception() is not None:
        future.set_exception(search.exception())
    else:
        future.set_result(search.result())


def check_time(function, args, seconds):
    """Log a search that took more than SLOW times its target, with its position."""
    target = (MOVE_TARGET if function is choose_move else SCORES_TARGET) * PYTHON_SLOWDOWN
    if seconds > SLOW * target:
        moves = "".join(str(column + 1) for column in args[0])
        log.warning("slow search: %s at %r took %.2f s, target %.2f s", function.__name__, moves, seconds, target)


def prepare_worker():
    """Set up a worker process: low priority, deaf to Ctrl-C, solver, book and opening loaded."""
    with contextlib.suppress(OSError, AttributeError):  # not every system has nice()
        os.nice(10)
    # Ctrl-C reaches every process of the terminal; the server stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Now, rather than in the first search, which they would slow down.
    solver = levels.shared_solver()
    solver.book, solver.opening


def timed(function, *args):
    """In a worker: function(*args) and the seconds it took."""
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def choose_move(columns, level, seed):
    """In a worker: the computer's move, with its own random numbers."""
    return levels.choose_move(columns, level, random.Random(seed))


def scores(columns):
    """In a worker: the exact score of each move after these columns."""
    return levels.shared_solver().scores(Position.from_columns(columns))
