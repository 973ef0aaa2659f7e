"""Benchmark solver.py: the time to score all 7 moves, at every stage of the game.

Positions come from random games (seeded) where no move connects four,
stopped after 0 to 41 checkers. Each is scored by a fresh Solver, as a
server's first request for it would be, with the opening book and, as the
reference, without it, on the stages where that finishes in bounded time.
Times are CPU seconds of this process: the machine is shared, and wall time
counts other people's work too.

"""

import json
import random
import time
import tracemalloc

from bench.report import Progress, percentile, table
from solver import CELLS, OpeningBook, Position, Solver

# Stages are reported in bands of checkers on the board.
BANDS = [(0, 0), (1, 4), (5, 8), (9, 11), (12, 12), (13, 14), (15, 16), (17, 20), (21, 28), (29, 41)]
# Without the book, early positions take minutes; the reference stops at this.
REFERENCE_FROM = 17
TARGET_P99, TARGET_MAX = 1.0, 3.0


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


def time_scores(position, book, table_size):
    """CPU seconds and positions searched to score the 7 moves with a fresh solver."""
    solver = Solver(table_size=table_size, book=book)
    started = time.process_time()
    solver.scores(position)
    return time.process_time() - started, solver.nodes


def book_memory():
    """Seconds and bytes allocated to load the opening book."""
    tracemalloc.start()
    started = time.perf_counter()
    book = OpeningBook.from_package()
    seconds = time.perf_counter() - started
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return book, seconds, size


def run(per_stage=3, seed=1, table_size=1 << 20 | 7, reference=True):
    """Measure; return the rows of the table and the stages that miss the targets."""
    book, load_seconds, book_bytes = book_memory()
    chosen = positions(per_stage, seed)
    timings = {}  # (band, "book" or "reference") -> [(seconds, nodes)]
    with Progress("solver", len(chosen)) as progress:
        for position in chosen:
            band = next(b for b in BANDS if b[0] <= position.moves <= b[1])
            timings.setdefault((band, "book"), []).append(time_scores(position, book, table_size))
            if reference and position.moves >= REFERENCE_FROM:
                timings.setdefault((band, "reference"), []).append(
                    time_scores(position, False, table_size)
                )
            progress.advance()
    rows, missed = [], []
    for band in BANDS:
        measured = timings[band, "book"]
        seconds = [s for s, _ in measured]
        nodes = [n for _, n in measured]
        p99, worst = percentile(seconds, 99), max(seconds)
        base = [s for s, _ in timings.get((band, "reference"), [])]
        rows.append(
            [
                f"{band[0]}" if band[0] == band[1] else f"{band[0]}-{band[1]}",
                len(seconds),
                percentile(seconds, 50),
                p99,
                worst,
                max(nodes),
                percentile(base, 50) if base else None,
                max(base) if base else None,
            ]
        )
        if p99 > TARGET_P99 or worst > TARGET_MAX:
            missed.append(rows[-1][0])
    header = ["checkers", "positions", "median s", "p99 s", "max s", "max nodes",
              "no book: median s", "no book: max s"]  # fmt: skip
    summary = (
        f"opening book: {len(book):,} positions, loaded in {load_seconds:.2f} s,"
        f" {book_bytes / 2**20:.1f} MiB"
    )
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
