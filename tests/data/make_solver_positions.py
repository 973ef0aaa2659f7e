"""Write solver_positions.txt: reference positions at every stage of the game, with their scores.

  python tests/data/make_solver_positions.py > tests/data/solver_positions.txt

Each line is "moves score", like Pons's test sets: the columns played, 1 to
7, and the exact score of the position for the side to move. Positions come
from random games (seeded, so the file can be made again) where no move
connects four, stopped after 0 to 41 checkers. Like Pons's "easy" sets, only
positions that the solver settles in at most NODES positions searched are
kept, so that tests can solve every line in a few seconds; some stages may
then have fewer than PER_STAGE lines. tests/test_solver.py checks every line
against the solver and the ones with at least 32 checkers against a
brute-force search that shares no code with it.

The file in the repository was made by solver.py at revision 5100c70. Later
solvers search slightly different numbers of positions for the same score
(the table keeps the book's scores since), so a run today keeps a few other
positions near the budget, and the random games that follow differ too;
every line it writes is as exact.

"""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solver import CELLS, Position, SearchBudgetExceeded, Solver  # noqa: E402

SEED = 2024
PER_STAGE = 5
ATTEMPTS = 40  # random games tried per stage at most
NODES = 30_000


def random_moves(rng, checkers):
    """The moves of a random game that never connects four, stopped after checkers, or None."""
    position, moves = Position(), ""
    for _ in range(checkers):
        harmless = [c for c in position.playable_columns() if not position.is_winning_move(c)]
        if not harmless:
            return None
        column = rng.choice(harmless)
        position.play(column)
        moves += str(column + 1)
    return moves


def main():
    rng = random.Random(SEED)
    for checkers in range(CELLS):
        kept = set()
        for _ in range(ATTEMPTS):
            if len(kept) == PER_STAGE:
                break
            moves = random_moves(rng, checkers)
            if moves is None or moves in kept:
                continue
            try:
                # Past NODES + 1, as when the file was first made: the search
                # gave up when it was called with more than NODES done.
                score = Solver(table_size=1 << 16 | 1, max_nodes=NODES + 1).score(Position(moves))
            except SearchBudgetExceeded:
                continue
            kept.add(moves)
            print(moves, score, flush=True)


if __name__ == "__main__":
    main()
