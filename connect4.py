"""The rules of Connect Four, with no knowledge of how moves arrive or leave."""

__all__ = ["PLAYER1", "PLAYER2", "COLUMNS", "ROWS", "Connect4"]

PLAYER1, PLAYER2 = "red", "yellow"
COLUMNS, ROWS = 7, 6

# Each player's checkers are one integer used as a bitboard. Column c owns the
# bits c*7 to c*7+6: bit c*7+r is the checker at row r (row 0 is the bottom),
# and bit c*7+6 is always zero, a gap that keeps lines from wrapping from the
# top of one column into the bottom of the next. Four in a row along a
# direction is then four bits spaced by that direction's shift: 1 vertically,
# 7 horizontally, 8 on the rising diagonal and 6 on the falling one.
_HEIGHT = ROWS + 1
# Each direction's shift, and twice that: the shift from a pair to the next pair.
_SHIFTS = tuple((shift, 2 * shift) for shift in (1, _HEIGHT, _HEIGHT + 1, _HEIGHT - 1))
_CELLS = COLUMNS * ROWS


def _has_four(board):
    """Tell whether a bitboard holds four checkers in a line."""
    for shift, double in _SHIFTS:
        pairs = board & (board >> shift)
        if pairs & (pairs >> double):
            return True
    return False


class Connect4:
    """A game of Connect Four: red moves first, then the players alternate."""

    __slots__ = ("columns", "winner", "over", "next_player", "_heights", "_boards")

    def __init__(self):
        # The columns played, in order, red's first. Plain ints: unlike a tuple
        # per move, they don't make the garbage collector run during a game.
        self.columns = []
        self.winner = None
        self.over = False  # once someone won or the board is full
        self.next_player = PLAYER1  # whose turn it is
        self._heights = [0] * COLUMNS
        self._boards = {PLAYER1: 0, PLAYER2: 0}

    @property
    def last_player(self):
        """The player who moved last; before any move, yellow, so red starts."""
        return PLAYER2 if self.next_player == PLAYER1 else PLAYER1

    @property
    def moves(self):
        """Each move as (player, column, row), in the order they were played."""
        heights = [0] * COLUMNS
        moves = []
        for index, column in enumerate(self.columns):
            moves.append((PLAYER2 if index % 2 else PLAYER1, column, heights[column]))
            heights[column] += 1
        return moves

    @property
    def draw(self):
        """True when the board is full and nobody won."""
        return self.over and self.winner is None

    def check(self, player, column):
        """Raise ValueError, saying why, unless player may drop a checker into column."""
        # A tuple, not the dict, so that unhashable values are refused too.
        if player not in (PLAYER1, PLAYER2):
            raise ValueError(f"{player!r} isn't a player.")
        if self.over:
            raise ValueError("The game is over.")
        if player != self.next_player:
            raise ValueError("It isn't your turn.")
        # bool is a subclass of int, but True is not a column.
        if type(column) is not int or not 0 <= column < COLUMNS:
            raise ValueError(f"Columns are numbered 0 to {COLUMNS - 1}.")
        if self._heights[column] == ROWS:
            raise ValueError("This column is full.")

    def play(self, player, column):
        """Drop a checker of player's into column and return the row it lands on.

        Raise ValueError, leaving the game exactly as it was, if the move is
        not allowed.

        """
        self.check(player, column)
        row = self._heights[column]
        self._heights[column] = row + 1
        board = self._boards[player] = self._boards[player] | 1 << (column * _HEIGHT + row)
        self.columns.append(column)
        self.next_player = PLAYER2 if player == PLAYER1 else PLAYER1
        if _has_four(board):
            self.winner = player
            self.over = True
        elif len(self.columns) == _CELLS:
            self.over = True
        return row
