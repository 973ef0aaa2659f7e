"""Benchmark the solver (solver/search.py): the time to score all 7 moves, at every stage of the game.

Positions come from random games (seeded) where no move connects four,
stopped after 0 to 41 checkers. Each is scored by a fresh Solver, as a
server's first request for it would be, with the opening book and the
precomputed opening (solver/opening.txt), both loaded before timing: by the
compiled search (solver/_search.c) and the Python one side by side, which
must agree on every score and on the number of positions searched, so that
their ratio of positions per second is measured on the same work. As
references, the solver.py of git revision BEFORE (the solver before its
speed work, read with `git show`, without the precomputed opening) on the
same positions, whose scores must agree too, and the default search without
the book, from REFERENCE_FROM checkers on. With --against REV, the compiled
search driven by solver/search.py as it was at git revision REV, on the same
positions: a change to the search measured against the code before it, in
one run (the extension is the one built here, so REV's C must be today's).
The perfect player's move
(`Solver.best_moves(..., first=True)`, as computer/levels.py asks for it) is
timed with the default search. Times are CPU seconds of this process: the
machine is shared, and wall time counts other people's work too.

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
from solver.search import IMPLEMENTATION, IMPLEMENTATIONS

# Stages are reported in bands of checkers on the board.
BANDS = [(0, 0), (1, 4), (5, 8), (9, 11), (12, 12), (13, 14), (15, 16), (17, 20), (21, 28), (29, 41)]
# Without the book, early positions take minutes; the reference stops at this.
REFERENCE_FROM = 17
# The compiled search's targets (issue 16): seconds to score 7 moves at every
# stage, and how many times the Python search's positions per second.
TARGET_MEDIAN, TARGET_P99, TARGET_MAX = 0.02, 0.25, 0.5
TARGET_RATIO = 30
# The searches compared, compiled first; those that are built.
SEARCHES = [name for name in ("C", "Python") if name in IMPLEMENTATIONS]
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
    return module_at(BEFORE, "solver.py")


def module_at(revision, path):
    """The Python file at path as it was at git revision, as a module; None outside a git checkout."""
    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:{path}"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType(f"{path}@{revision}")
    # solver/search.py finds opening.txt beside itself.
    module.__file__ = str(Path(__file__).resolve().parent.parent / path)
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


def time_scores(position, book, table_size, module=None, opening=None, implementation=None):
    """CPU seconds, positions searched and scores of the 7 moves, with a fresh solver.

    module: another version's, the BEFORE one (which knows neither the
    opening nor implementations) or --against's; solver.search by default.

    """
    if module is not None:  # the same position in the other module's class
        copy = module.Position()
        copy.current, copy.mask, copy.moves, copy.won = position.current, position.mask, position.moves, position.won
        position = copy
    if module is not None and implementation is None:
        solver = module.Solver(table_size=table_size, book=book)
    else:
        make = Solver if module is None else module.Solver
        solver = make(table_size=table_size, book=book, opening=opening or False, implementation=implementation)
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


def measure(chosen, book, opening, table_size, before, reference, against=None):
    """Time every position; return the timings by (band, run) and the positions where runs disagree."""
    timings = {}  # (band, "C", "Python", "against", "before", "no book" or "move") -> [(seconds, nodes)]
    disagree = []
    with Progress("solver", len(chosen)) as progress:
        for position in chosen:
            band = next(b for b in BANDS if b[0] <= position.moves <= b[1])
            results = [time_scores(position, book, table_size, opening=opening, implementation=name) for name in SEARCHES]
            for name, (seconds, nodes, _) in zip(SEARCHES, results):
                timings.setdefault((band, name), []).append((seconds, nodes))
            # The same scores, and the same positions searched, by every search.
            if len({(repr(scores), nodes) for _, nodes, scores in results}) > 1:
                disagree.append(position.moves)
            if against is not None:
                seconds, nodes, against_scores = time_scores(position, book, table_size, against, opening, "C")
                timings.setdefault((band, "against"), []).append((seconds, nodes))
                if against_scores != results[0][2]:
                    disagree.append(position.moves)
            timings.setdefault((band, "move"), []).append((time_best_move(position, book, table_size, opening), 0))
            if before is not None:
                seconds, nodes, before_scores = time_scores(position, book, table_size, before)
                timings.setdefault((band, "before"), []).append((seconds, nodes))
                if before_scores != results[0][2]:
                    disagree.append(position.moves)
            if reference and position.moves >= REFERENCE_FROM:
                timings.setdefault((band, "no book"), []).append(time_scores(position, False, table_size)[:2])
            progress.advance()
    return timings, disagree


def speed(measured):
    """Positions searched per CPU second, over these (seconds, nodes); None if too few to time."""
    seconds, nodes = sum(s for s, _ in measured), sum(n for _, n in measured)
    return nodes / seconds if nodes >= 1000 and seconds > 0 else None


def band_row(band, timings):
    """A row of the table: each search's times and speed, the best move, the references."""
    compiled, python = timings.get((band, "C"), []), timings.get((band, "Python"), [])
    c_seconds, py_seconds = [s for s, _ in compiled], [s for s, _ in python]
    fast, slow = speed(compiled), speed(python)
    before = timings.get((band, "before"), [])
    move = [s for s, _ in timings[band, "move"]]
    base = [s for s, _ in timings.get((band, "no book"), [])]
    against = timings.get((band, "against"))
    milliseconds = [1000 * percentile(c_seconds, 50), 1000 * percentile(c_seconds, 99), 1000 * max(c_seconds)] if compiled else [None] * 3
    return [
        f"{band[0]}" if band[0] == band[1] else f"{band[0]}-{band[1]}",
        len(move),
        *milliseconds,
        *([percentile(py_seconds, 50), percentile(py_seconds, 99), max(py_seconds)] if python else [None] * 3),
        max(n for _, n in (compiled or python)),
        fast / 1e6 if fast else None,
        slow / 1e3 if slow else None,
        fast / slow if fast and slow else None,
        1000 * percentile(move, 50),
        1000 * max(move),
        max(s for s, _ in before) if before else None,
        max(n for _, n in before) if before else None,
        max(base) if base else None,
        *(against_columns(compiled, against) if against is not None else []),
    ]


def against_columns(compiled, against):
    """--against REV's columns: its compiled search's times, and positions searched here over there."""
    seconds, nodes = [s for s, _ in against], sum(n for _, n in against)
    here = sum(n for _, n in compiled)
    return [1000 * percentile(seconds, 50), 1000 * percentile(seconds, 99), 1000 * max(seconds),
            max(n for _, n in against), here / nodes if nodes else None]  # fmt: skip


HEADER = ["checkers", "positions", "C: median ms", "p99 ms", "max ms",
          "Python: median s", "p99 s", "max s", "max nodes",
          "C: Mpos/s", "Python: kpos/s", "ratio",
          "best move: median ms", "max ms", "before: max s", "max nodes", "no book: max s"]  # fmt: skip


def missed_targets(timings, disagree):
    """The targets missed: stages over the compiled search's times, the ratio, exactness."""
    if "C" not in SEARCHES:
        return ["the compiled search isn't built"]
    missed = []
    for band in BANDS:
        seconds = [s for s, _ in timings[band, "C"]]
        if percentile(seconds, 50) > TARGET_MEDIAN or percentile(seconds, 99) > TARGET_P99 or max(seconds) > TARGET_MAX:
            missed.append(f"checkers {band[0]}-{band[1]}")
    ratio = overall_ratio(timings)
    if ratio is not None and ratio < TARGET_RATIO:
        missed.append(f"ratio {ratio:.1f}")
    if disagree:
        missed.append("exactness")
    return missed


def overall_ratio(timings):
    """The compiled search's positions per second over the Python one's, over every position."""
    if "Python" not in SEARCHES or "C" not in SEARCHES:
        return None
    runs = {name: [t for (band, run), ts in timings.items() if run == name for t in ts] for name in SEARCHES}
    return speed(runs["C"]) / speed(runs["Python"])


def run(per_stage=3, seed=1, table_size=1 << 20 | 7, reference=True, against=None):
    """Measure; return the table's header and rows, the targets missed and a summary."""
    book, load_seconds, book_bytes = book_memory()
    opening, opening_seconds = load_opening()
    before = before_module() if reference else None
    against_module = module_at(against, "solver/search.py") if against else None
    if against and (against_module is None or "C" not in SEARCHES):
        raise SystemExit(f"--against {against}: needs a git checkout and the compiled search")
    chosen = positions(per_stage, seed)
    timings, disagree = measure(chosen, book, opening, table_size, before, reference, against_module)
    rows = [band_row(band, timings) for band in BANDS]
    against_header = [f"{against}: C median ms", "p99 ms", "max ms", "max nodes", "positions here / there"]
    header = HEADER + (against_header if against else [])
    ratio = overall_ratio(timings)
    summary = (
        f"searches: {', '.join(SEARCHES)} (default {IMPLEMENTATION})"
        + (f"; compiled / Python positions per second over every position: {ratio:.1f}x\n" if ratio else "\n")
        + f"opening book: {len(book):,} positions, loaded in {load_seconds:.2f} s, {book_bytes / 2**20:.1f} MiB\n"
        + (
            f"precomputed opening: {len(opening):,} positions, loaded in {opening_seconds:.2f} s\n"
            if opening
            else "precomputed opening: solver/opening.txt missing, not used\n"
        )
        + (f"scores or positions searched DIFFER at checkers {sorted(set(disagree))}" if disagree
           else "every search agrees on every position: scores, and positions searched between C and Python")
        + ("" if before is not None or not reference else "\nbefore: not a git checkout, no reference")
    )
    return header, rows, missed_targets(timings, disagree), summary


def main(args):
    """Run the benchmark with the command line's options and print the table."""
    header, rows, missed, summary = run(args.per_stage, args.seed, args.table_size, not args.no_reference, args.against)
    if args.json:
        print(json.dumps({"summary": summary, "table": [header, *rows], "missed": missed}, indent=2))
        return 1 if missed else 0
    print(f"Time to score all 7 moves, CPU time, fresh solver each, {args.per_stage} per stage.")
    print(summary, end="\n\n")
    print(table(header, rows), end="\n\n")
    targets = (
        f"compiled: median <= {TARGET_MEDIAN * 1000:.0f} ms, p99 <= {TARGET_P99} s, max <= {TARGET_MAX} s"
        f" at every stage; >= {TARGET_RATIO}x the Python search's positions per second"
    )
    print(f"NOT MET  {targets}: {', '.join(missed)}" if missed else f"met      {targets}")
    return 1 if missed else 0
