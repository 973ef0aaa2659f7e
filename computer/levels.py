"""The computer player, at three levels, and the analysis of a finished game.

This sits apart from the solver because it is about playing, not solving: it
draws random numbers, and its easy and medium levels make mistakes on
purpose, while the solver only ever computes exact scores. A server keeps one
Solver per process (`shared_solver`) and calls `choose_move` and `analyse`,
which take the 0-based columns of `connect4.Connect4.columns`.

Turning a score into words, for a page: a move's score s is from the view of
the player making it, with `checkers` on the board before the move (see
the solver). s = 0 is a draw; s > 0 wins, after the player drops
22 - s - checkers // 2 more checkers, that move and the winning one included;
s < 0 loses, the opponent connecting four after dropping
22 + s - (checkers + 1) // 2 more. `outcome` does that arithmetic.

A move changed the result when its score has another sign than the best
score among the moves of its position: it threw away a win, or a draw.

"""

import functools
import threading

from solver import WIDTH, Position, Solver, winning_cells

__all__ = ["LEVELS", "choose_move", "analyse", "outcome", "shared_solver"]

LEVELS = ("easy", "medium", "perfect")

# Easy: a child can win. It takes a win at once only half the time and
# rarely blocks the opponent's; otherwise it plays anywhere.
EASY_TAKES_WIN, EASY_BLOCKS = 0.5, 0.2
# Medium: a casual player wins sometimes. It always takes a win and always
# blocks, never hands the opponent a win at once, then prefers moves that
# make threats, near the centre, with this much noise.
MEDIUM_NOISE = 3.0

_solver_lock = threading.Lock()  # two threads asking first make one Solver


def shared_solver():
    """The process's Solver, made on first use: its table and book are shared by every game."""
    with _solver_lock:
        return _new_solver()


@functools.cache
def _new_solver():
    """A Solver, made once: the cache keeps it for every later call."""
    return Solver()


def choose_move(columns, level, rng, solver=None):
    """The column, 0 to 6, that the computer plays after these columns at this level.

    rng is a random.Random, for the choices among equal moves and the
    mistakes of the easy and medium levels. Raise InvalidPosition for moves
    that can't be played and ValueError for an unknown level or a finished game.

    """
    if level not in LEVELS:
        raise ValueError(f"{level!r} isn't a level: {', '.join(LEVELS)}")
    position = Position.from_columns(columns)
    if position.over:
        raise ValueError("The game is over.")
    if level == "easy":
        return _easy_move(position, rng)
    if level == "medium":
        return _medium_move(position, rng)
    return _perfect_move(position, rng, solver or shared_solver())


def _perfect_move(position, rng, solver):
    """A best move: the most central one, a random one among equally central ones."""
    # The player needs one best move, not every move's exact score: the
    # solver finds the position's score once, then tests the moves one by one
    # with a null-window search, and stops at the first that reaches it. The
    # centre is tried first, being the most often best; which of two columns
    # as central goes first is left to chance, so that games vary.
    columns = sorted(position.playable_columns(), key=lambda column: (abs(column - WIDTH // 2), rng.random()))
    return solver.best_moves(position, columns, first=True)[0]


def _easy_move(position, rng):
    """Mostly a random move; a win at once only sometimes, a block rarely."""
    wins = position.winning_columns()
    if wins and rng.random() < EASY_TAKES_WIN:
        return rng.choice(wins)
    blocks = position.threatened_columns()
    if blocks and rng.random() < EASY_BLOCKS:
        return rng.choice(blocks)
    return rng.choice(position.playable_columns())


def _medium_move(position, rng):
    """Win, block, never hand over a win at once, else a threatening central move with noise."""
    wins = position.winning_columns()
    if wins:
        return rng.choice(wins)
    blocks = position.threatened_columns()
    if blocks:
        return rng.choice(blocks)
    playable = position.playable_columns()
    safe = [column for column in playable if not position.child(column).winning_columns()]

    def appeal(column):
        child = position.child(column)
        # The cells where our checkers, now the child's opponent's, would win.
        threats = winning_cells(child.current ^ child.mask, child.mask).bit_count()
        centrality = -abs(column - WIDTH // 2)
        return 2 * threats + centrality + rng.uniform(0, MEDIUM_NOISE)

    return max(safe or playable, key=appeal)


def analyse(columns, solver=None):
    """For each position of a game, after 0 to len(columns) moves, the exact scores of the 7 moves.

    Each entry is what Solver.scores gives: None for a column without a move,
    and a list of Nones once the game is over.

    """
    solver = solver or shared_solver()
    Position.from_columns(columns)  # raise InvalidPosition before any work
    return [solver.scores(Position.from_columns(columns[:moves])) for moves in range(len(columns) + 1)]


def outcome(score, checkers):
    """A move's score in words, as (result, checkers): "win", "draw" or "loss", and how many more.

    The count is how many checkers the winner still drops, the winning one
    included; counted from the position before the move, which had
    `checkers` on the board. It is 0 for a draw.

    """
    if score > 0:
        return "win", 22 - score - checkers // 2
    if score < 0:
        return "loss", 22 + score - (checkers + 1) // 2
    return "draw", 0
