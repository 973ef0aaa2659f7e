"""An exact Connect Four solver, after Pascal Pons's "Solving Connect Four".

  python -m solver 4453          analyse the position after the moves 4, 4, 5, 3
  python -m solver --json 44 -   one JSON object per position; `-` reads stdin

Positions are written as Pons writes them: the columns played, in order, as
digits 1 to 7 from left to right, red first. The empty string is the empty
board. Internally, and in `Position.from_columns`, columns are numbered 0 to 6
like `connect4.Connect4.columns`.

Scores (Pons's convention) are from the side to move's point of view:

- 0 is a draw;
- a win scores 22 minus the number of checkers the winner will have played
  when it connects four: 18 for a win with one's 4th checker, 1 for a win with
  one's 21st and last;
- a loss scores minus the opponent's win score.

So with `checkers` on the board and a score s > 0, the side to move wins with
its (22 - s)-th checker, that is after dropping 22 - s - checkers // 2 more
checkers, the winning one included; with s < 0, the opponent wins after
dropping 22 + s - (checkers + 1) // 2 more. The score of a move is the score
of the position that it leads to, negated: the score of that move for the
player making it, counted from the position before it.

The solver is built up in the steps of Pons's tutorial, each marked "Step" in
a comment: a bitboard position, negamax with alpha-beta pruning, a null-window
search for the exact score, centre-first move ordering, anticipation of losses,
a transposition table of bounds, ordering by threats created, an opening
book, the first moves' scores precomputed, enhanced transposition
cutoffs, and the known scores of a position's parents as a bound on its own
(step 14, the project's). Every step makes the search faster; none makes it
less exact.

Step 13 runs the same search compiled, where the C extension solver/_search.c
was built: `IMPLEMENTATION` says which search a Solver uses by default, "C"
or "Python"; CONNECT4_NO_EXTENSIONS=1 in the environment forces "Python".

"""

import bisect
import functools
import logging
import os
import sys
import time
from array import array
from pathlib import Path

__all__ = [
    "WIDTH",
    "HEIGHT",
    "InvalidPosition",
    "Position",
    "TranspositionTable",
    "OpeningBook",
    "opening_book",
    "OpeningScores",
    "opening_scores",
    "Solver",
    "SearchBudgetExceeded",
    "IMPLEMENTATION",
    "IMPLEMENTATIONS",
]

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 7, 6
CELLS = WIDTH * HEIGHT

# Step 1: a bitboard position.
#
# As in connect4.py, a set of cells is one integer. Column c owns the bits
# c*7 to c*7+6: bit c*7+r is the cell at row r (row 0 is the bottom), and bit
# c*7+6 is a sentinel that stays empty, so that a line can't wrap from the top
# of one column into the bottom of the next.
#
#   .  .  .  .  .  .  .      6 13 20 27 34 41 48   <- sentinels
#   .  .  .  .  .  .  .      5 12 19 26 33 40 47
#   .  .  .  .  .  .  .      4 11 18 25 32 39 46
#   .  .  .  .  .  .  .      3 10 17 24 31 38 45
#   .  .  .  .  .  .  .      2  9 16 23 30 37 44
#   .  .  .  .  .  .  .      1  8 15 22 29 36 43
#   .  .  .  .  .  .  .      0  7 14 21 28 35 42
#
# A position is two such sets: `mask`, the occupied cells, and `current`, the
# checkers of the player to move. The opponent's are current ^ mask. Adding
# BOTTOM to mask carries each column's run of ones up to its first empty cell,
# so (mask + BOTTOM) & BOARD is the cell where each column takes its next
# checker.
_STRIDE = HEIGHT + 1
BOTTOM = sum(1 << column * _STRIDE for column in range(WIDTH))
BOARD = BOTTOM * ((1 << HEIGHT) - 1)
_COLUMN_MASKS = tuple(((1 << HEIGHT) - 1) << column * _STRIDE for column in range(WIDTH))
_TOP_CELLS = tuple(1 << (HEIGHT - 1 + column * _STRIDE) for column in range(WIDTH))

# Step 4: centre-first move ordering. A checker in a central column belongs to
# more lines of four than one on the side, so central moves are more often
# the best ones, and alpha-beta prunes most when it tries the best move first.
COLUMN_ORDER = tuple(WIDTH // 2 + (1 - 2 * (i % 2)) * (i + 1) // 2 for i in range(WIDTH))
# Among moves that create as many threats (step 7), the more central goes first.
_CENTRALITY = {column: WIDTH - rank for rank, column in enumerate(COLUMN_ORDER)}
_MOVE_BITS = (1 << CELLS + WIDTH) - 1  # the 49 bits of a set of cells

# The bounds of every score: the earliest win is with one's 4th checker, and a
# player who can win at once is scored before the search starts (step 2).
MAX_SCORE = (CELLS + 1) // 2 - 3
MIN_SCORE = -MAX_SCORE


def winning_cells(checkers, mask):
    """The empty cells where one more of these checkers would make four in a row."""
    return _open_lines(checkers) & (BOARD ^ mask)


def _open_lines(checkers):
    """The cells, empty or not, that would complete a line of four of these checkers.

    It may include sentinel bits and bits past the board: callers mask it.
    """
    # Three checkers in a line plus an empty cell at either end, or in the gap
    # of a line of four with one missing. Shifts: 1 is up a column, 7 across a
    # row, 6 and 8 along the two diagonals (see the layout above). This is
    # the search's hottest function, so it is unrolled, and in each direction
    # the shifts by one step are computed once and the four patterns share
    # their pairs: l1 & l2 & (l3 | r1) covers "three to the left" and "two to
    # the left, one to the right"; r1 & r2 & (r3 | l1) the mirror cases.
    cells = (checkers << 1) & (checkers << 2) & (checkers << 3)  # three below
    left, right = checkers << 7, checkers >> 7  # across a row
    cells |= left & (checkers << 14) & ((checkers << 21) | right)
    cells |= right & (checkers >> 14) & ((checkers >> 21) | left)
    left, right = checkers << 6, checkers >> 6  # falling diagonal
    cells |= left & (checkers << 12) & ((checkers << 18) | right)
    cells |= right & (checkers >> 12) & ((checkers >> 18) | left)
    left, right = checkers << 8, checkers >> 8  # rising diagonal
    cells |= left & (checkers << 16) & ((checkers << 24) | right)
    cells |= right & (checkers >> 16) & ((checkers >> 24) | left)
    return cells


def has_four(checkers):
    """Tell whether these checkers hold four in a row."""
    for shift in (1, _STRIDE, _STRIDE - 1, _STRIDE + 1):
        pairs = checkers & (checkers >> shift)
        if pairs & (pairs >> 2 * shift):
            return True
    return False


class InvalidPosition(ValueError):
    """A sequence of moves that can't be played."""


class Position:
    """A Connect Four position: the checkers of the side to move, and all checkers.

    Build it from Pons's move string, Position("4453"), or from 0-based
    columns, Position.from_columns([3, 3, 4, 2]). Either raises InvalidPosition
    for a move that isn't a column, a move into a full column, or a move after
    someone connected four. A position where someone just connected four is
    valid: the game is over and `won` is true.

    """

    __slots__ = ("current", "mask", "moves", "won")

    def __init__(self, moves=""):
        self.current = self.mask = self.moves = 0
        self.won = False
        columns = []
        for character in moves:
            if character not in "1234567":
                raise InvalidPosition(f"{character!r} is not a column: columns are 1 to {WIDTH}")
            columns.append(int(character) - 1)
        self._play_all(columns, first_column=1)

    @classmethod
    def from_columns(cls, columns):
        """The position after these moves, columns numbered 0 to 6."""
        position = cls()
        for column in columns:
            # bool is an int, but True is not a column.
            if type(column) is not int or not 0 <= column < WIDTH:
                raise InvalidPosition(f"{column!r} is not a column: columns are 0 to {WIDTH - 1}")
        position._play_all(columns, first_column=0)
        return position

    def _play_all(self, columns, first_column):
        """Play columns in turn, or raise InvalidPosition naming the move that can't be played."""
        for index, column in enumerate(columns, 1):
            if self.won:
                raise InvalidPosition(f"move {index} comes after the game was won")
            if not self.can_play(column):
                raise InvalidPosition(f"move {index} is into column {column + first_column}, full")
            self.won = self.is_winning_move(column)
            self.play(column)

    @property
    def over(self):
        """True once someone connected four or the board is full."""
        return self.won or self.moves == CELLS

    def can_play(self, column):
        """Tell whether column has room for one more checker."""
        return not self.mask & _TOP_CELLS[column]

    def play(self, column):
        """Drop a checker of the side to move into column, which must have room."""
        # The opponent moves next: its checkers are the ones that aren't ours.
        self.current ^= self.mask
        self.mask |= self.mask + (1 << column * _STRIDE)
        self.moves += 1

    def is_winning_move(self, column):
        """Tell whether the side to move connects four by playing column."""
        return bool(winning_cells(self.current, self.mask) & self._landing(column))

    def playable_columns(self):
        """The columns with room for a checker, none once the game is over."""
        return [] if self.won else [column for column in range(WIDTH) if self.can_play(column)]

    def winning_columns(self):
        """The columns where the side to move would connect four at once."""
        return [column for column in self.playable_columns() if self.is_winning_move(column)]

    def threatened_columns(self):
        """The columns where the opponent would connect four if it were its turn."""
        threats = winning_cells(self.current ^ self.mask, self.mask) & (self.mask + BOTTOM)
        return [column for column in self.playable_columns() if threats & _COLUMN_MASKS[column]]

    def child(self, column):
        """A new position: this one after a move in column, which must have room."""
        child = self.copy()
        child.won = self.is_winning_move(column)
        child.play(column)
        return child

    def copy(self):
        """A copy of this position, to play on without changing this one."""
        position = Position.__new__(Position)
        position.current, position.mask = self.current, self.mask
        position.moves, position.won = self.moves, self.won
        return position

    def mirror(self):
        """The position reflected left to right, which has the same score."""
        mirrored = Position.__new__(Position)
        mirrored.current, mirrored.mask = _mirror(self.current), _mirror(self.mask)
        mirrored.moves, mirrored.won = self.moves, self.won
        return mirrored

    def _landing(self, column):
        """The cell where column's next checker lands."""
        return (self.mask + BOTTOM) & _COLUMN_MASKS[column]

    def __eq__(self, other):
        if not isinstance(other, Position):
            return NotImplemented
        return (self.current, self.mask) == (other.current, other.mask)

    def __hash__(self):
        return hash((self.current, self.mask))

    def __str__(self):
        """The board, top row first: x for red, o for yellow, . for an empty cell."""
        red = self.current if self.moves % 2 == 0 else self.current ^ self.mask
        rows = []
        for row in reversed(range(HEIGHT)):
            cells = [1 << column * _STRIDE + row for column in range(WIDTH)]
            rows.append(" ".join("." if not cell & self.mask else "x" if cell & red else "o" for cell in cells))
        return "\n".join(rows)


def _mirror(cells):
    """A set of cells reflected left to right."""
    column_bits = (1 << _STRIDE) - 1
    mirrored = 0
    for column in range(WIDTH):
        mirrored |= (cells >> column * _STRIDE & column_bits) << (WIDTH - 1 - column) * _STRIDE
    return mirrored


# Step 6: a transposition table. The same position is reached by many orders
# of the same moves; the table remembers what the search learned about each,
# so that it is searched once. It has a fixed number of slots: a position's
# slot is its key modulo the size, and a newer entry replaces an older one in
# the same slot. Each slot holds the whole key, so that a position never
# reads another's entry.
#
# The key is current + mask: in each column, mask + BOTTOM is a single bit
# just above the top checker and current's bits lie below it, so
# current + mask + BOTTOM tells every position apart, and so does
# current + mask, which differs from it by a constant. It fits in 49 bits.
#
# Step 10 (speed): the slots are two plain lists, of keys and of values, not
# one array of packed 64-bit entries. Reading a list slot hands back an
# existing int object, where an array builds a new one, and a value is a
# small int, (score - MIN_SCORE) << 2 | kind, which CPython never allocates.
# The kind says what the score is (step 8): an upper bound, a lower bound, or
# both, an exact score (the opening book's).
_UPPER, _LOWER, _EXACT = 1, 2, 3


class TranspositionTable:
    """A fixed-size table of score bounds by position key, the newest entry winning a slot."""

    __slots__ = ("size", "keys", "values")

    def __init__(self, size):
        self.size = size
        self.clear()

    def get(self, key):
        """The bound stored for key, as (kind, score), or None."""
        slot = key % self.size
        if self.keys[slot] != key:
            return None
        value = self.values[slot]
        return value & 3, (value >> 2) + MIN_SCORE

    def put(self, key, kind, score):
        """Remember a bound on the score of key's position; kind is _UPPER, _LOWER or _EXACT."""
        slot = key % self.size
        self.keys[slot] = key
        self.values[slot] = (score - MIN_SCORE) << 2 | kind

    def clear(self):
        """Forget every entry."""
        # No position has the key -1, so an empty slot never matches.
        self.keys = [-1] * self.size
        self.values = [0] * self.size

    @property
    def used(self):
        """How many slots hold an entry."""
        return self.size - self.keys.count(-1)


# Step 9: an opening book. Early positions are the slowest to search: the
# game tree below them is the largest. The `bitbully-databases` package (MIT)
# ships the exact score of every position with 12 checkers, so the search
# stops at 12 checkers instead of going on to the end of the game.
#
# Its file holds 5-byte records sorted by position code: a big-endian signed
# 32-bit code, then a signed byte, the distance to the end of the game. The
# code lists the columns left to right, each cell bottom to top as 10 for a
# checker of the player who moved first and 11 for the other's, a 0 closing
# each column and one more 0 at the end: 12 * 2 + 7 + 1 = 32 bits. Only one
# of a position and its mirror image is stored. The value is from the first
# player's view, who is to move at 12 checkers; Pons's score is (d - 69) / 2
# for d > 0, (d + 68) / 2 for d < 0, and a draw for 0.
BOOK_CHECKERS = 12
BOOK_FILE = "book_12ply_distances.dat"
_RECORD = 5


class OpeningBook:
    """The exact scores of positions with 12 checkers: sorted codes and their values."""

    __slots__ = ("codes", "values")

    def __init__(self, records):
        """Read records in the file's format: 5 bytes each, sorted by code."""
        # Slicing the bytes once per byte position is much faster than a loop.
        count = len(records) // _RECORD
        code_bytes = bytearray(4 * count)
        for byte in range(4):
            code_bytes[byte::4] = records[byte::_RECORD]
        self.codes = array("i")
        self.codes.frombytes(code_bytes)
        if sys.byteorder == "little":
            self.codes.byteswap()
        self.values = array("b")
        self.values.frombytes(records[4::_RECORD])

    @classmethod
    def from_arrays(cls, codes, values):
        """A book over sorted codes and their values: sequences of int32 and int8, e.g. arrays."""
        # book_cache.py passes views of a file mapped into memory.
        book = cls.__new__(cls)
        book.codes, book.values = codes, values
        return book

    @classmethod
    def from_package(cls):
        """Load the book from the bitbully-databases package; raise ImportError or OSError."""
        from importlib.resources import files

        return cls(files("bitbully_databases").joinpath("assets", BOOK_FILE).read_bytes())

    def __len__(self):
        return len(self.codes)

    def score(self, current, mask):
        """The exact score of a position with 12 checkers, or None if the book lacks it."""
        # At 12 checkers the first player is the side to move: `current`.
        # Each column's code is looked up by the column's key (see step 6).
        key = current + mask + BOTTOM
        code = mirrored_code = 0
        length = 0
        for column in range(WIDTH):
            column_code, column_length = _COLUMN_CODES[key >> column * _STRIDE & _COLUMN_BITS]
            code = code << column_length | column_code
            mirrored_code |= column_code << length
            length += column_length
        for code in (code << 1, mirrored_code << 1):
            code = code - (1 << 32) if code >= 1 << 31 else code  # stored signed
            index = bisect.bisect_left(self.codes, code)
            if index < len(self.codes) and self.codes[index] == code:
                distance = self.values[index]
                if distance > 0:
                    return (distance - 69) // 2
                if distance < 0:
                    return (distance + 68) // 2
                return 0
        return None


def _column_code(column_key):
    """A column's part of a book code, and its length in bits, from the column's key."""
    # The key's highest bit sits just above the column's top checker.
    height = column_key.bit_length() - 1
    code = 0
    for row in range(height):
        code = code << 2 | (0b10 if column_key >> row & 1 else 0b11)
    return code << 1, 2 * height + 1


_COLUMN_BITS = (1 << _STRIDE) - 1
_COLUMN_CODES = [_column_code(column_key) if column_key else None for column_key in range(1 << _STRIDE)]


@functools.cache
def opening_book():
    """The opening book, loaded on first use and shared; None if bitbully-databases is missing."""
    # Mapped from a cache file, one copy for every process (book_cache.py).
    from solver import book_cache

    started = time.perf_counter()
    try:
        book = book_cache.load()
    except (ImportError, OSError) as error:
        logger.warning("no opening book (%s): early positions will be slow to solve", error)
        return None
    seconds = time.perf_counter() - started
    logger.info("opening book: %d positions loaded in %.2f s", len(book), seconds)
    return book


# Step 11: the opening, precomputed. The first moves are the slowest of all
# to score, even with the book: the whole game tree lies ahead of them (5 to
# 6 s for the empty board's 7 moves, up to 3 s with 1 to 4 checkers, on the
# project's shared machine). There are few such positions, though: 2,863 with at
# most 5 checkers, counting a position and its mirror image once. So
# python -m solver.make_opening scored every one of them with this solver, once,
# offline, and opening.txt keeps their exact scores: the moves of a
# position with at most 4 checkers lead to positions with at most 5, and
# scoring them is 7 lookups.
#
# The file is text, one line per mirror pair, sorted by length then digits:
# a position written as the command line writes it, a space, and its exact
# score for the side to move: "4 -1" (red took the centre: yellow loses,
# to red's last checker); the empty board's line is " 1".
# Of all the move orders that reach a position or its mirror image, the line
# has the smallest. No position in the file has a four in a row (none can,
# before 7 checkers), so, unlike the book, it leaves nothing out.
#
# Unlike the book, which the search meets on its way down, these positions
# are never below another search's root: a search only adds checkers. So the
# lookup is made once, before searching (Solver._solve and _negamax), and
# costs the search's inner loop nothing.
OPENING_CHECKERS = 5
OPENING_FILE = Path(__file__).with_name("opening.txt")


class OpeningScores:
    """The exact score of every position with at most OPENING_CHECKERS checkers."""

    __slots__ = ("_scores", "entries")

    def __init__(self, entries):
        """Take (moves, score) pairs, one per mirror pair, in the file's order."""
        self.entries = list(entries)
        self._scores = {}  # position key (step 6) -> score, for both mirror images
        for moves, score in self.entries:
            position = Position(moves)
            for image in (position, position.mirror()):
                self._scores[image.current + image.mask] = score

    @classmethod
    def parse(cls, text):
        """Read the file's format; raise ValueError (InvalidPosition is one) for a bad line."""
        entries = []
        for line in text.splitlines():
            moves, _, score = line.rpartition(" ")
            entries.append((moves, int(score)))
        return cls(entries)

    @classmethod
    def from_file(cls, path=None):
        """Load opening.txt, or the file at path; raise OSError or ValueError."""
        return cls.parse(Path(path or OPENING_FILE).read_text(encoding="ascii"))

    def text(self):
        """The entries in the file's format."""
        return "".join(f"{moves} {score}\n" for moves, score in self.entries)

    def __len__(self):
        return len(self.entries)

    def score(self, current, mask):
        """The exact score of a position, or None if it has more checkers than the file holds."""
        return self._scores.get(current + mask)


@functools.cache
def opening_scores():
    """The precomputed opening, loaded on first use and shared; None if its file is missing."""
    try:
        return OpeningScores.from_file()
    except (OSError, ValueError) as error:
        logger.warning("no precomputed opening (%s): the first moves will be slow to solve", error)
        return None


# Step 6's table has 2**20 + 7 slots by default, a prime so that keys spread
# over every slot: about 50 MiB once full, enough for the slowest searches.
DEFAULT_TABLE_SIZE = 1_048_583

# Step 4's order, with what the search needs of each column: its cells, and
# its centrality for breaking ties between moves that make as many threats.
_ORDER = tuple((_COLUMN_MASKS[column], _CENTRALITY[column]) for column in COLUMN_ORDER)


class SearchBudgetExceeded(Exception):
    """A search went past the solver's max_nodes."""


class Solver:
    """An exact solver; it keeps a transposition table, reused from one position to the next.

    `book` is True for the shared opening book (if bitbully-databases is
    installed), False for none, or an OpeningBook; `opening` likewise for the
    precomputed scores of the first moves (opening.txt), or an
    OpeningScores. `max_nodes` bounds the
    positions searched, counted over the solver's life: past it a search
    raises SearchBudgetExceeded. `implementation` is "C" or "Python" (step
    13), IMPLEMENTATION by default; ValueError if it isn't available.

    """

    def __init__(self, table_size=DEFAULT_TABLE_SIZE, book=True, max_nodes=None, opening=True, implementation=None):
        self.implementation = implementation or IMPLEMENTATION
        if self.implementation not in IMPLEMENTATIONS:
            raise ValueError(f"{self.implementation!r} isn't available: {', '.join(IMPLEMENTATIONS)}")
        make_table, self._make_search = IMPLEMENTATIONS[self.implementation]
        self.table = make_table(table_size)
        self._book = book
        self._opening = opening
        self.max_nodes = max_nodes
        self._search = None  # made on first use, when the book is loaded

    @property
    def book(self):
        """The opening book in use, or None."""
        if self._book is True:
            self._book = opening_book()
        return self._book or None

    @property
    def opening(self):
        """The precomputed opening in use, or None."""
        if self._opening is True:
            self._opening = opening_scores()
        return self._opening or None

    @property
    def nodes(self):
        """Positions searched so far, for benchmarks."""
        return 0 if self._search is None else self._search.searched()

    def score(self, position):
        """The exact score of position, from the side to move's point of view."""
        if position.won:
            # The opponent just connected four, with its ((moves + 1) // 2)-th checker.
            return -((CELLS + 2 - position.moves) // 2)
        if position.moves == CELLS:
            return 0
        return self._solve(position.current, position.mask, position.moves)

    def scores(self, position):
        """The exact score of each column's move, None where there is no move to make."""
        if position.over:
            return [None] * WIDTH
        scores = []
        for column in range(WIDTH):
            if not position.can_play(column):
                scores.append(None)
            elif position.is_winning_move(column):
                scores.append((CELLS + 1 - position.moves) // 2)
            else:
                child = position.child(column)
                scores.append(-self._solve(child.current, child.mask, child.moves))
        return scores

    def best_moves(self, position, columns=None, first=False):
        """The columns with the best score, found faster than by scoring every move exactly.

        Only these columns are tried, in this order (all, left to right, by
        default); with first=True, only the first column found is returned,
        which saves testing the others: a player needs one best move.

        """
        if position.over:
            return []
        best = self.score(position)
        found = []
        for column in range(WIDTH) if columns is None else columns:
            if position.can_play(column) and _is_best_move(self, position, column, best):
                found.append(column)
                if first:
                    break
        return found

    def best_move(self, position):
        """A column with the best score, the most central of them; None if the game is over."""
        scores = self.scores(position)
        playable = [column for column in COLUMN_ORDER if scores[column] is not None]
        return max(playable, key=scores.__getitem__, default=None)

    def _solve(self, current, mask, moves):
        """The exact score of a position that isn't over."""
        # Step 2: a player who can win at once does, so negamax never has to
        # look for an immediate win.
        if winning_cells(current, mask) & (mask + BOTTOM):
            return (CELLS + 1 - moves) // 2
        # Step 11: the first moves' scores are known.
        if moves <= OPENING_CHECKERS and self.opening:
            score = self.opening.score(current, mask)
            if score is not None:
                return score
        low, high = -((CELLS - moves) // 2), (CELLS + 1 - moves) // 2
        at_least = _bound_from_parents(current, mask, moves, self)
        if at_least is not None and low < at_least:
            # Step 14: the bound is often the score itself, where this
            # position is a best move's, so it is tested first: one
            # null-window search proves the score at most the bound, so
            # exactly the bound.
            low = at_least
            if low < high:
                score = self._negamax(current, mask, moves, low, low + 1)
                if score <= low:
                    high = low
                else:
                    low = score
        # Step 3: null-window searches narrow the range to the exact score.
        return _null_window_search(functools.partial(self._negamax, current, mask, moves), low, high)

    def _negamax(self, current, mask, moves, alpha, beta):
        """Score a position that isn't over and where the side to move can't win at once.

        The result is exact if it lies strictly between alpha and beta; if it
        is alpha or below, the exact score is at most the result; if beta or
        above, at least the result.

        """
        # Step 11: an exact score answers any window.
        if moves <= OPENING_CHECKERS and self.opening:
            score = self.opening.score(current, mask)
            if score is not None:
                return score
        if self._search is None:
            self._search = self._make_search(self.table, self.book, self.max_nodes)
        threats = winning_cells(current ^ mask, mask)
        return self._search(current, mask, moves, alpha, beta, threats)


def _is_best_move(solver, position, column, best):
    """Tell whether the move in column, which has room, scores best, the position's score."""
    if position.is_winning_move(column):
        return (CELLS + 1 - position.moves) // 2 == best
    child = position.child(column)
    if winning_cells(child.current, child.mask) & (child.mask + BOTTOM):
        # The opponent would win at once: best only if every move loses so.
        return -((CELLS + 1 - child.moves) // 2) == best
    # One null-window search (step 3) tells whether the move's score, minus
    # the child's, reaches the best score: whether the child's is at most
    # -best.
    return solver._negamax(child.current, child.mask, child.moves, -best, -best + 1) <= -best


def _null_window_search(negamax, low, high):
    """The exact score, known to lie in [low, high], by null-window searches: negamax(alpha, beta)."""
    # Step 3: a null-window search. A search with the window (alpha, beta) =
    # (s, s + 1) only tells whether the score is above s, and prunes much
    # more than a search for the exact score. A binary search on s narrows
    # the range of possible scores, trying 0 and the halves nearest it
    # first because scores near 0 are the most common.
    while low < high:
        middle = low + (high - low) // 2
        if middle <= 0 and low // 2 < middle:
            middle = low // 2
        elif middle >= 0 and high // 2 > middle:
            middle = high // 2
        score = negamax(middle, middle + 1)
        if score <= middle:
            high = score
        else:
            low = score
    return low


def _bound_from_parents(current, mask, moves, solver):
    """A lower bound on a position's score from its parents' scores in solver's book or opening, or None."""
    # Step 14 (the project's own): the positions a move could have come
    # from bound its score. A parent's score is the best of its moves',
    # and a move's score is its position's negated, so this position
    # scores at least minus each parent's score. Its parents are known
    # one checker past the book or the precomputed opening: this one
    # less the last mover's checker on top of a column, each in turn.
    # When `scores` scores a position's moves, that position is among
    # each move's parents, and its bound is the move's score exactly
    # for a best move; another parent's may bound a worse move closer.
    # Scoring the benchmark's 12-checker positions' moves searches a
    # third fewer positions (median 29 -> 10 ms compiled), 5 to 8
    # checkers 14 % fewer (bench/SOLVER.md). Elsewhere no score of a
    # parent is known without a search, and searching the position
    # first to bound its moves costs more than it saves.
    # The book and opening load on first use: only where they may serve.
    if moves == BOOK_CHECKERS + 1 and solver.book:
        known = solver.book.score
    elif moves == OPENING_CHECKERS + 1 and solver.opening:
        known = solver.opening.score
    else:
        return None
    last_mover = current ^ mask
    bound = None
    for column_cells in _COLUMN_MASKS:
        column = mask & column_cells
        top = 1 << column.bit_length() - 1 if column else 0
        if top & last_mover:
            score = known(last_mover ^ top, mask ^ top)
            if score is not None and (bound is None or -score > bound):
                bound = -score
    return bound


class Search:
    """The negamax search over a table and a book; it counts the positions it searches.

    Call it on a position: search(current, mask, moves, alpha, beta, threats).
    Past max_nodes positions, counted over its life, it raises
    SearchBudgetExceeded.

    """

    # Step 10 (speed) once made the whole search one closure over local
    # names: 1.2 to 1.4 times faster, and harder to read. The compiled
    # search (step 13) carries the speed now, so this one is written to be
    # read, in plain functions; it searches the same positions.

    def __init__(self, table, book, max_nodes):
        self.table = table
        self.book = book or None
        self.limit = (1 << 62) if max_nodes is None else max_nodes
        self.nodes = 0

    def searched(self):
        """Positions searched so far."""
        return self.nodes

    def __call__(self, current, mask, moves, alpha, beta, threats):
        """Score a position that isn't over and where the side to move can't win at once.

        threats: the cells, all empty, where the opponent would connect four;
        the caller worked them out to order its moves (step 7). The result
        is exact if it lies strictly between alpha and beta; if it is alpha
        or below, the exact score is at most the result; if beta or above,
        at least the result.

        """
        self.nodes += 1
        if self.nodes > self.limit:
            raise SearchBudgetExceeded(f"more than {self.limit} positions searched")
        # Step 5: only the moves that don't lose at once are searched.
        possible = _moves_that_dont_lose(mask, threats)
        if not possible:
            return -((CELLS - moves) // 2)
        if moves >= CELLS - 2:
            return 0  # neither player can win with the last two checkers
        # Steps 2 and 5: the window narrows to the scores still possible.
        alpha, beta = _possible_window(moves, alpha, beta)
        if alpha >= beta:
            return alpha
        # Step 8: the table's bounds narrow it too.
        key = current + mask
        alpha, beta = self._table_window(key, alpha, beta)
        if alpha >= beta:
            return alpha
        # Step 9: the book knows the exact score, whatever the window.
        if moves == BOOK_CHECKERS and self.book:
            score = self._book_score(key, current, mask)
            if score is not None:
                return score
        # Steps 7 and 12, then step 2's loop: search the moves, best first.
        candidates = _ordered_moves(current, mask, possible)
        return self._search_moves(key, current ^ mask, mask, moves, candidates, alpha, beta)

    def _table_window(self, key, alpha, beta):
        """The window narrowed by the table's bounds on key's score; empty (alpha >= beta) for a cutoff."""
        # Step 8: the table keeps upper and lower bounds, which narrow the
        # window as the possible scores do. An empty window comes back as
        # (score, score): the caller returns alpha, the score that cut off.
        bound = self.table.get(key)
        if bound is None:
            return alpha, beta
        kind, score = bound
        if kind & _UPPER and score < beta:
            beta = score
            if alpha >= beta:
                return beta, beta
        if kind & _LOWER and score > alpha:
            alpha = score
        return alpha, beta

    def _book_score(self, key, current, mask):
        """The book's exact score of a position with BOOK_CHECKERS checkers, kept in the table; or None."""
        # Step 9: the table keeps it too: a lookup costs more than a table probe.
        score = self.book.score(current, mask)
        if score is not None:
            self.table.put(key, _EXACT, score)
        return score

    def _search_moves(self, key, opponent, mask, moves, candidates, alpha, beta):
        """Search the ordered moves within the window; the table keeps the bound found."""
        # Step 12: the table may prove a cutoff without a search.
        score = _known_cutoff(self.table, opponent, mask, candidates, beta)
        if score is not None:
            self.table.put(key, _LOWER, score)
            return score
        # Step 2: negamax with alpha-beta. A move's score is its position's,
        # negated; one at beta or above settles this position (a lower bound),
        # and if none does, the best is an upper bound.
        for move, made in candidates:
            score = -self(opponent, mask | move, moves + 1, -beta, -alpha, made)
            if score >= beta:
                self.table.put(key, _LOWER, score)
                return score
            alpha = max(alpha, score)
        self.table.put(key, _UPPER, alpha)
        return alpha


def _possible_window(moves, alpha, beta):
    """The window narrowed to the scores still possible; empty (alpha >= beta) for a cutoff."""
    # Step 2: alpha-beta. The score lies between the worst and best that are
    # still possible: the opponent can't win with its next checker, and we
    # can't with ours (step 5). A window beyond them narrows. An empty window
    # comes back as (score, score): the caller returns alpha, the score that
    # cut off.
    alpha = max(alpha, -((CELLS - 2 - moves) // 2))
    if alpha >= beta:
        return alpha, beta
    beta = min(beta, (CELLS - 1 - moves) // 2)
    if alpha >= beta:
        return beta, beta
    return alpha, beta


def _moves_that_dont_lose(mask, threats):
    """The cells where the side to move can play without losing at once; none if it must lose."""
    # Step 5: anticipate losses. Where the opponent could win next, we
    # must block; two such cells can't both be blocked. And a move just
    # below an opponent's winning cell would let the opponent win there.
    # So only moves that don't lose at once are searched.
    possible = (mask + BOTTOM) & BOARD
    forced = possible & threats
    if forced:
        if forced & (forced - 1):
            return 0
        possible = forced
    return possible & ~(threats >> 1)


def _ordered_moves(current, mask, possible):
    """The moves among possible as (move, winning cells made), the most promising first."""
    # Step 7: try first the moves that create the most winning cells,
    # threats that the opponent will have to answer; ties go to the more
    # central column (step 4). The winning cells after each move are the
    # threats that its position faces: they go down to the search of it.
    free = BOARD ^ mask
    if not possible & (possible - 1):
        return [(possible, _open_lines(current | possible) & free)]  # one move: nothing to order
    candidates = []
    for column, centrality in _ORDER:
        move = possible & column
        if move:
            made = _open_lines(current | move) & free
            # Ties broken in the tuple's first item: moves never compare.
            candidates.append((made.bit_count() << 3 | centrality, move, made))
    candidates.sort(reverse=True)
    return [(move, made) for _, move, made in candidates]


def _known_cutoff(table, opponent, mask, candidates, beta):
    """A score of at least beta that the table proves for one of the moves, or None."""
    # Step 12: enhanced transposition cutoffs (Plaat, Schaeffer, Pijls and
    # de Bruin, 1996). Before searching any move, look each move's
    # position up in the table: an upper bound on its score, negated, is
    # a lower bound on the move's, and if that reaches beta, this
    # position is settled without a search. Otherwise the first move is
    # searched, perhaps deeply, even where a later one is known to cut
    # off. On the benchmark's slowest positions (12 to 15 checkers) it
    # searches 28 % fewer positions and takes about 13 % less time: each
    # position costs a probe per move more. A single move is searched at
    # once: its position's own table probe does the same.
    if len(candidates) < 2:
        return None
    for move, _ in candidates:
        bound = table.get(opponent + (mask | move))
        if bound is not None and bound[0] & _UPPER and -bound[1] >= beta:
            return -bound[1]
    return None


# Step 13 (speed, the project's own): the same search, compiled. CPython
# searches 1 to 2·10^5 positions a second here, and the hardest positions
# need millions: no pruning closes that gap, compiled code does (about 70
# times as many a second, bench/SOLVER.md). So
# solver/_search.c runs Search's negamax in C, step for step, with the
# same move order, table and book, and so the same scores after searching
# the same positions (the tests check both). As websockets does with its
# speedups, it is optional: where it wasn't built (no C compiler when
# installing), or with CONNECT4_NO_EXTENSIONS=1 in the environment, the
# Python search above runs, slower. Everything but the negamax stays here.
#
# The C search keeps its table in a C array, a 64-bit word a slot
# (solver._search.Table, with TranspositionTable's methods): reading
# Python's lists from C would cost most of what C gains, and an array for
# both would slow the Python search (step 10). So a Solver pairs a table
# with its search; the book is shared, C reading OpeningBook's arrays in
# place.
def _make_compiled_search(table, book, max_nodes):
    """The compiled Search over table (a solver._search.Table) and book."""
    limit = (1 << 62) if max_nodes is None else max_nodes
    codes, values = (book.codes, book.values) if book else (None, None)
    return _CompiledSearch(table, codes, values, limit, SearchBudgetExceeded)


# Each implementation's table and search, by name.
IMPLEMENTATIONS = {"Python": (TranspositionTable, Search)}

if os.environ.get("CONNECT4_NO_EXTENSIONS"):
    IMPLEMENTATION = "Python"
else:
    try:
        from solver._search import Search as _CompiledSearch, Table as _CompiledTable
    except ImportError:
        IMPLEMENTATION = "Python"
    else:
        IMPLEMENTATIONS["C"] = (_CompiledTable, _make_compiled_search)
        IMPLEMENTATION = "C"
