"""An exact Connect Four solver, after Pascal Pons's "Solving Connect Four".

``search.py`` holds the search, step by step; ``opening.txt``, the first
moves' scores, precomputed by ``python -m solver.make_opening``;
``python -m solver 4453`` scores a position from the command line.

"""

from solver.search import (
    CELLS,
    HEIGHT,
    WIDTH,
    InvalidPosition,
    OpeningBook,
    OpeningScores,
    Position,
    SearchBudgetExceeded,
    Solver,
    TranspositionTable,
    opening_book,
    opening_scores,
    winning_cells,
)

__all__ = [
    "CELLS",
    "HEIGHT",
    "WIDTH",
    "InvalidPosition",
    "OpeningBook",
    "OpeningScores",
    "Position",
    "SearchBudgetExceeded",
    "Solver",
    "TranspositionTable",
    "opening_book",
    "opening_scores",
    "winning_cells",
]
