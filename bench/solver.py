"""Benchmark the solver (solver/search.py): the time to score all 7 moves, at every stage of the game.

Positions come from random games (seeded) where no move connects four,
stopped after 0 to 41 checkers. Each is scored by a fresh Solver, as a
server's first request for it would be, with the opening book; and, as
references, by the solver.py of git revision BEFORE (the solver before its
speed work, read with `git show`) on the same positions, whose scores must
agree, and without the book on the stages where that finishes in bounded
time. The precomputed opening (solver/opening.txt) is loaded before timing,
like the book, and used by the new solver; the solver before has none. The perfect player's move (`Solver.best_moves(..., first=True)`, as
computer/levels.py asks for it) is timed too. Times are CPU seconds of this process:
the machine is shared, and wall time counts other people's work too.

"""

import gc
import json
import random
import subprocess
import time
import tracemalloc
import types
from pathlib import Path

from bench.report import Progress, percentile, table
from solver import CELLS, OpeningBook, OpeningScores, Position, Solver

# Stages are reported in bands of checkers on the board.
BANDS = [(0, 0), (1, 4), (5, 8), (9, 11), (12, 12), (13, 14), (15, 16), (17, 20), (21, 28), (29, 41)]
# Without the book, early positions take minutes; the reference stops at this.
REFERENCE_FROM = 17
TARGET_P99, TARGET_MAX = 1.0, 3.0
# The solver before its speed work: the reference for times and for scores.
BEFORE = "7f85b9c"


def random_position(rng, checkers):
    """A random position with that many checkers where no move connected four, or None."""
    position = Position()
    for _ in range(checkers):
        harmless = [c for c in position.playable_columns() if not position.is_winning_move(c)]
        if not harmless:
            return None
        position.play(rng.choice(harmless))
    return position


def positions(per_stage, seed):
    """per_stage positions at each number of checkers, 0 to 41; one for the empty board."""
    rng = random.Random(seed)
    chosen = []
    for checkers in range(CELLS):
        count = 1 if checkers == 0 else per_stage
        while count:
            position = random_position(rng, checkers)
            if position is not None:
                chosen.append(position)
                count -= 1
    return chosen


def before_module():
    """solver.py as it was at revision BEFORE, as a module; None outside a git checkout."""
    try:
        source = subprocess.run(
            ["git", "show", f"{BEFORE}:solver.py"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("solver_before")
    exec(compile(source, f"solver.py@{BEFORE}", "exec"), module.__dict__)
    return module


def time_scores(position, book, table_size, module=None, opening=None):
    """CPU seconds, positions searched and scores of the 7 moves, with a fresh solver."""
    if module is not None:  # the same position in the other module's class
        copy = module.Position()
        copy.current, copy.mask, copy.moves, copy.won = position.current, position.mask, position.moves, position.won
        position = copy
    if module is not None:
        solver = module.Solver(table_size=table_size, book=book)
    else:
        solver = Solver(table_size=table_size, book=book, opening=opening or False)
    # The previous solver's table is freed now, not by the garbage collector
    # during this timing: the search function refers to itself, a cycle.
    gc.collect()
    started = time.process_time()
    scores = solver.scores(position)
    return time.process_time() - started, solver.nodes, scores


def time_best_move(position, book, table_size, opening):
    """CPU seconds to find one best move, as the perfect player does, with a fresh solver."""
    solver = Solver(table_size=table_size, book=book, opening=opening or False)
    columns = sorted(position.playable_columns(), key=lambda column: abs(column - 3))
    gc.collect()
    started = time.process_time()
    solver.best_moves(position, columns, first=True)
    return time.process_time() - started


def book_memory():
    """Seconds and bytes allocated to load the opening book."""
    tracemalloc.start()
    started = time.perf_counter()
    book = OpeningBook.from_package()
    seconds = time.perf_counter() - started
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return book, seconds, size


def load_opening():
    """The precomputed opening and the seconds to load it; None if its file is missing."""
    started = time.perf_counter()
    try:
        opening = OpeningScores.from_file()
    except OSError:
        return None, 0.0
    return opening, time.perf_counter() - started


def run(per_stage=3, seed=1, table_size=1 << 20 | 7, reference=True):
    """Measure; return the rows of the table and the stages that miss the targets."""
    book, load_seconds, book_bytes = book_memory()
    opening, opening_seconds = load_opening()
    before = before_module() if reference else None
    chosen = positions(per_stage, seed)
    timings = {}  # (band, "book", "before", "no book" or "move") -> [(seconds, nodes)]
    disagree = []  # positions where this solver's scores differ from the one before
    with Progress("solver", len(chosen)) as progress:
        for position in chosen:
            band = next(b for b in BANDS if b[0] <= position.moves <= b[1])
            seconds, nodes, scores = time_scores(position, book, table_size, opening=opening)
            timings.setdefault((band, "book"), []).append((seconds, nodes))
            timings.setdefault((band, "move"), []).append((time_best_move(position, book, table_size, opening), 0))
            if before is not None:
                seconds, nodes, before_scores = time_scores(position, book, table_size, before)
                timings.setdefault((band, "before"), []).append((seconds, nodes))
                if before_scores != scores:
                    disagree.append(position.moves)
            if reference and position.moves >= REFERENCE_FROM:
                timings.setdefault((band, "no book"), []).append(
                    time_scores(position, False, table_size)[:2]
                )
            progress.advance()
    rows, missed = [], []
    for band in BANDS:
        measured = timings[band, "book"]
        seconds = [s for s, _ in measured]
        nodes = [n for _, n in measured]
        p99, worst = percentile(seconds, 99), max(seconds)
        old = [s for s, _ in timings.get((band, "before"), [])]
        old_nodes = [n for _, n in timings.get((band, "before"), [])]
        move = [s for s, _ in timings[band, "move"]]
        base = [s for s, _ in timings.get((band, "no book"), [])]
        rows.append(
            [
                f"{band[0]}" if band[0] == band[1] else f"{band[0]}-{band[1]}",
                len(seconds),
                percentile(seconds, 50),
                p99,
                worst,
                max(nodes),
                percentile(old, 50) if old else None,
                percentile(old, 99) if old else None,
                max(old) if old else None,
                max(old_nodes) if old else None,
                percentile(move, 50),
                max(move),
                max(base) if base else None,
            ]
        )
        if p99 > TARGET_P99 or worst > TARGET_MAX:
            missed.append(rows[-1][0])
    header = ["checkers", "positions", "median s", "p99 s", "max s", "max nodes",
              "before: median", "p99", "max", "max nodes",
              "best move: median", "max", "no book: max s"]  # fmt: skip
    summary = (
        f"opening book: {len(book):,} positions, loaded in {load_seconds:.2f} s,"
        f" {book_bytes / 2**20:.1f} MiB\n"
        + (
            f"precomputed opening: {len(opening):,} positions, loaded in {opening_seconds:.2f} s\n"
            if opening
            else "precomputed opening: solver/opening.txt missing, not used\n"
        )
        + (
            "no reference runs" if not reference
            else "before: not a git checkout, no reference" if before is None
            else f"before = solver.py at {BEFORE}: scores "
            + (f"DIFFER at checkers {sorted(set(disagree))}" if disagree else "agree on every position")
        )
    )
    if disagree:
        missed.append("exactness")
    return header, rows, missed, summary


def main(args):
    """Run the benchmark with the command line's options and print the table."""
    header, rows, missed, summary = run(args.per_stage, args.seed, args.table_size, not args.no_reference)
    if args.json:
        print(json.dumps({"summary": summary, "table": [header, *rows], "missed": missed}, indent=2))
        return 1 if missed else 0
    print(f"Time to score all 7 moves, CPU seconds, fresh solver each, {args.per_stage} per stage.")
    print(summary, end="\n\n")
    print(table(header, rows), end="\n\n")
    if missed:
        print(f"NOT MET  p99 <= {TARGET_P99} s and max <= {TARGET_MAX} s at checkers {', '.join(missed)}")
    else:
        print(f"met      p99 <= {TARGET_P99} s and max <= {TARGET_MAX} s at every stage")
    return 1 if missed else 0
