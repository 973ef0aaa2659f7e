"""Write solver/opening.txt: the exact score of every position with at most 5 checkers.

  python -m solver.make_opening          # about a minute; progress on stderr
  python -m solver.make_opening --verify # and search the shallower ones again, as
                                           # the shipped file was: a minute more

search.py looks these scores up instead of searching (its "Step 11" says
why, and the file's format). Every position reachable in at most 5 moves is
listed once per mirror pair; positions where a move connected four can't
occur this early, and would be left out.

How the scores are made, exactly and never guessed:

1. Each position with 5 checkers is scored by search.py's own search, with
   the opening book and without any precomputed opening. One Solver scores
   them all, in the file's order, so its transposition table carries over
   from one to the next (it holds bounds that are true of every position,
   so reuse never changes a score). Scores are appended to
   solver/opening.txt.partial as they come, so an interrupted run starts
   again where it stopped.
2. Each shallower position, from 4 checkers down to the empty board, is
   scored by negamax over its moves: the best of its moves' scores, each
   the negated score of a deeper position already in the table. This runs
   search.py's own Solver.scores over the table so far, with a node budget
   of 0: a position missing from the table would raise instead of being
   searched.
3. --verify searches every position with fewer than 5 checkers again,
   without the table, and stops with an error if any score differs.

"""

import argparse
import os
import sys
import time

from solver.search import (
    OPENING_CHECKERS,
    OPENING_FILE,
    WIDTH,
    OpeningScores,
    Position,
    Solver,
)

PARTIAL = OPENING_FILE.with_name(OPENING_FILE.name + ".partial")


def log(message):
    print(message, file=sys.stderr, flush=True)


def reachable(checkers):
    """{(length, moves)} of the smallest move string of each mirror pair, up to checkers moves."""
    smallest = {}  # the pair's key: the smaller of the two position keys -> moves

    def visit(position, moves):
        key = min(position.current + position.mask, _mirror_key(position))
        # Every move order of a position has its length: compare the digits.
        if key not in smallest or moves < smallest[key]:
            smallest[key] = moves
        if len(moves) == checkers:
            return
        for column in range(WIDTH):
            if position.can_play(column) and not position.is_winning_move(column):
                visit(position.child(column), moves + str(column + 1))

    visit(Position(), "")
    return sorted((len(moves), moves) for moves in smallest.values())  # the file's order


def _mirror_key(position):
    mirrored = position.mirror()
    return mirrored.current + mirrored.mask


def read_partial():
    """The (moves, score) pairs that an earlier run already wrote."""
    try:
        text = PARTIAL.read_text(encoding="ascii")
    except FileNotFoundError:
        return {}
    done = {}
    for line in text.splitlines(keepends=True):
        if line.endswith("\n"):  # a line cut by a stop is searched again
            moves, _, score = line.rstrip("\n").rpartition(" ")
            done[moves] = int(score)
    return done


def score_deepest(deepest):
    """The searched score of each position with the most checkers, resuming from PARTIAL."""
    done = read_partial()
    if done:
        log(f"resuming: {len(done)} of {len(deepest)} already in {PARTIAL.name}")
    solver = Solver(opening=False)
    started = time.process_time()
    searched = 0
    with PARTIAL.open("a", encoding="ascii") as partial:
        for index, moves in enumerate(deepest, 1):
            if moves in done:
                continue
            done[moves] = solver.score(Position(moves))
            partial.write(f"{moves} {done[moves]}\n")
            partial.flush()
            searched += 1
            if searched % 100 == 0 or index == len(deepest):
                seconds = time.process_time() - started
                left = sum(1 for m in deepest[index:] if m not in done)
                log(
                    f"{index}/{len(deepest)} at {len(moves)} checkers: {seconds:.0f} CPU s,"
                    f" {solver.nodes:,} positions searched, about {seconds / searched * left:.0f} s left"
                )
    return [(moves, done[moves]) for moves in deepest]


def make(checkers):
    """The (moves, score) entries of every position with at most checkers checkers."""
    positions = reachable(checkers)
    log(f"{len(positions)} positions up to {checkers} checkers, one per mirror pair")
    entries = score_deepest([moves for length, moves in positions if length == checkers])
    for length in reversed(range(checkers)):
        # A fresh OpeningScores per level: it holds the deeper levels.
        table = OpeningScores(entries)
        solver = Solver(opening=table, max_nodes=0)
        level = []
        for moves in (m for n, m in positions if n == length):
            scores = solver.scores(Position(moves))
            level.append((moves, max(score for score in scores if score is not None)))
        log(f"{len(level)} positions at {length} checkers, from their moves' scores")
        entries = level + entries
    return entries


def verify(entries, checkers):
    """Search every position with fewer than checkers checkers again, without the table."""
    solver = Solver(opening=False)
    started = time.process_time()
    shallower = [(moves, score) for moves, score in entries if len(moves) < checkers]
    for index, (moves, score) in enumerate(reversed(shallower), 1):
        searched = solver.score(Position(moves))
        if searched != score:
            raise SystemExit(f"{moves!r}: the table says {score}, the search {searched}")
        if index % 50 == 0 or index == len(shallower):
            log(f"verified {index}/{len(shallower)}: {time.process_time() - started:.0f} CPU s")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m solver.make_opening", description=__doc__.split("\n")[0])
    parser.add_argument("--verify", action="store_true", help="search the shallower positions again")
    args = parser.parse_args(argv)
    entries = make(OPENING_CHECKERS)
    if args.verify:
        verify(entries, OPENING_CHECKERS)
    text = OpeningScores(entries).text()
    temporary = OPENING_FILE.with_name(OPENING_FILE.name + ".tmp")
    temporary.write_text(text, encoding="ascii")
    os.replace(temporary, OPENING_FILE)
    PARTIAL.unlink()
    log(f"wrote {OPENING_FILE.name}: {len(entries)} positions, {len(text):,} bytes")


if __name__ == "__main__":
    main()
