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
_DIRECTIONS = (1, _HEIGHT, _HEIGHT + 1, _HEIGHT - 1)


def _has_four(board):
    """Tell whether a bitboard holds four checkers in a line."""
    for shift in _DIRECTIONS:
        pairs = board & (board >> shift)
        if pairs & (pairs >> 2 * shift):
            return True
    return False


class Connect4:
    """A game of Connect Four: red moves first, then the players alternate."""

    def __init__(self):
        self.moves = []  # (player, column, row), in the order they were played
        self.winner = None
        self._heights = [0] * COLUMNS
        self._boards = {PLAYER1: 0, PLAYER2: 0}

    @property
    def last_player(self):
        """The player who moved last; before any move, yellow, so red starts."""
        return PLAYER1 if len(self.moves) % 2 else PLAYER2

    @property
    def next_player(self):
        """The player whose turn it is."""
        return PLAYER2 if len(self.moves) % 2 else PLAYER1

    @property
    def draw(self):
        """True when the board is full and nobody won."""
        return self.winner is None and len(self.moves) == COLUMNS * ROWS

    @property
    def over(self):
        """True once someone won or the board is full."""
        return self.winner is not None or len(self.moves) == COLUMNS * ROWS

    def play(self, player, column):
        """Drop a checker of player's into column and return the row it lands on.

        Raise ValueError, leaving the game exactly as it was, if the move is
        not allowed.

        """
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
        row = self._heights[column]
        if row == ROWS:
            raise ValueError("This column is full.")

        self._heights[column] = row + 1
        self._boards[player] |= 1 << (column * _HEIGHT + row)
        self.moves.append((player, column, row))
        if _has_four(self._boards[player]):
            self.winner = player
        return row
