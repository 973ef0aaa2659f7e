"""Tests for connect4.py, the rules of Connect Four.

Games are set up by dropping checkers into columns, the players taking turns
with red first (`play_all`). Wherever the shape of the board matters the test
also draws it, top row first: R is red, Y is yellow and . is an empty cell, so
a reader can see at a glance that a sequence of columns builds what its test
claims.

The engine keeps its board as bitboards; these tests check it against a
brute-force referee (`brute_force_winner`) that simply looks at every
possible line of four on a 7 x 6 grid.
"""

import copy
import gc
import subprocess
import sys
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conftest
from connect4 import COLUMNS, PLAYER1, PLAYER2, ROWS, Connect4

RED, YELLOW = PLAYER1, PLAYER2
FULL_BOARD = COLUMNS * ROWS


def line_from(column, row, right, up):
    """Four cells from (column, row), each `right` columns and `up` rows on."""
    return [(column + i * right, row + i * up) for i in range(4)]


# Every line of four cells on the board: 24 horizontal, 21 vertical, 12 rising
# and 12 falling diagonals.
LINES_OF_FOUR = (
    [line_from(c, r, 1, 0) for c in range(COLUMNS - 3) for r in range(ROWS)]
    + [line_from(c, r, 0, 1) for c in range(COLUMNS) for r in range(ROWS - 3)]
    + [line_from(c, r, 1, 1) for c in range(COLUMNS - 3) for r in range(ROWS - 3)]
    + [line_from(c, r, 1, -1) for c in range(COLUMNS - 3) for r in range(3, ROWS)]
)


def play_all(game, columns):
    """Drop checkers into columns in order, the players taking turns."""
    for column in columns:
        game.play(game.next_player, column)
    return game


def cells(moves):
    """The board as {(column, row): player}, stacking each move's checker."""
    heights = [0] * COLUMNS
    board = {}
    for player, column, _ in moves:
        board[column, heights[column]] = player
        heights[column] += 1
    return board


def checkers_in(moves, column):
    """How many checkers moves have dropped into column."""
    return sum(1 for _, c, _ in moves if c == column)


def brute_force_winner(moves):
    """The player with four in a line after moves, found by trying every line."""
    board = cells(moves)
    winners = set()
    for line in LINES_OF_FOUR:
        owners = {board.get(cell) for cell in line}
        if len(owners) == 1 and None not in owners:
            winners |= owners
    assert len(winners) <= 1, "both players have four in a line"
    return winners.pop() if winners else None


def picture(game):
    """Draw the board, top row first: R for red, Y for yellow, . for empty."""
    board = cells(game.moves)
    symbols = {RED: "R", YELLOW: "Y", None: "."}
    return "\n".join(
        "".join(symbols[board.get((column, row))] for column in range(COLUMNS))
        for row in reversed(range(ROWS))
    )


def drawing(text):
    """Turn an indented, triple-quoted board into what picture() returns."""
    return dedent(text).strip()


def snapshot(game):
    """Everything about a game: what anyone can see, and its internals."""
    return (
        game.next_player,
        game.last_player,
        game.over,
        game.draw,
        {name: copy.deepcopy(getattr(game, name)) for name in Connect4.__slots__},
    )


def assert_refused(game, player, column, message):
    """Check that the move raises ValueError(message) and changes nothing."""
    before = snapshot(game)
    with pytest.raises(ValueError) as refusal:
        game.play(player, column)
    assert str(refusal.value) == message
    assert snapshot(game) == before


# A new game


def test_a_new_game_has_no_moves_and_no_result():
    game = Connect4()
    assert game.moves == []
    assert game.winner is None
    assert not game.over
    assert not game.draw


def test_red_moves_first():
    game = Connect4()
    assert (RED, YELLOW) == ("red", "yellow")
    assert game.next_player == RED
    assert game.last_player == YELLOW


def test_the_players_take_turns():
    game = Connect4()
    for mover, other in [(RED, YELLOW), (YELLOW, RED)] * 3:
        game.play(mover, 3)
        assert game.last_player == mover
        assert game.next_player == other


# Dropping checkers


def test_checkers_stack_up_from_row_0_and_play_returns_the_row():
    game = Connect4()
    rows = [game.play(game.next_player, 3) for _ in range(ROWS)]
    assert rows == [0, 1, 2, 3, 4, 5]


def test_each_column_fills_on_its_own():
    game = Connect4()
    assert [game.play(game.next_player, column) for column in range(COLUMNS)] == [0] * COLUMNS
    assert game.play(game.next_player, 6) == 1
    assert game.play(game.next_player, 0) == 1


def test_moves_records_player_column_and_row_in_order():
    game = play_all(Connect4(), [3, 3, 0, 3])
    assert game.moves == [(RED, 3, 0), (YELLOW, 3, 1), (RED, 0, 0), (YELLOW, 3, 2)]


# Winning

# In each game the last checker completes the line; the picture is the board
# at the end.
WINS = [
    pytest.param([0, 1, 0, 1, 0, 1, 0], RED, """
        .......
        .......
        R......
        RY.....
        RY.....
        RY.....
        """, id="vertical in column 0 from the bottom"),
    pytest.param([0, 6, 1, 6, 6, 0, 6, 1, 6, 0, 6], RED, """
        ......R
        ......R
        ......R
        Y.....R
        YY....Y
        RR....Y
        """, id="vertical in column 6 up to the top"),
    pytest.param([0, 0, 1, 1, 2, 2, 3], RED, """
        .......
        .......
        .......
        .......
        YYY....
        RRRR...
        """, id="horizontal on the bottom row from column 0"),
    pytest.param([6, 6, 5, 5, 4, 4, 3], RED, """
        .......
        .......
        .......
        .......
        ....YYY
        ...RRRR
        """, id="horizontal on the bottom row to column 6"),
    pytest.param(
        [0, 3, 1, 0, 2, 1, 0, 0, 2, 0, 1, 3, 2, 1, 1, 2, 1, 2, 2, 3, 3, 3, 3, 5, 0],
        RED, """
        RRRR...
        YRYY...
        YYYR...
        RRRY...
        YYRY...
        RRRY.Y.
        """, id="horizontal on the top row from column 0"),
    pytest.param(
        [6, 3, 4, 3, 3, 3, 5, 5, 5, 6, 5, 5, 5, 6, 4, 3, 3, 6, 6, 4, 4, 4, 4, 0, 6],
        RED, """
        ...RRRR
        ...YYYR
        ...YRRY
        ...RYRY
        ...YRYY
        Y..YRRR
        """, id="horizontal on the top row to column 6"),
    pytest.param([3, 3, 0, 2, 3, 1, 1, 2, 2, 4, 3], RED, """
        .......
        .......
        ...R...
        ..RR...
        .RYY...
        RYYRY..
        """, id="rising diagonal from the bottom-left corner"),
    pytest.param([5, 3, 6, 6, 3, 4, 5, 6, 6, 5, 6, 5, 3, 4, 5, 4, 4, 3, 6], RED, """
        ......R
        .....RR
        ...YRYR
        ...RYYY
        ...RYRY
        ...YYRR
        """, id="rising diagonal to the top-right corner"),
    pytest.param([0, 3, 3, 0, 2, 1, 2, 2, 0, 0, 3, 0, 2, 1, 1, 1, 1, 6, 0], RED, """
        R......
        YR.....
        YYR....
        RRYR...
        YYRR...
        RYRY..Y
        """, id="falling diagonal from the top-left corner"),
    pytest.param([4, 3, 4, 5, 5, 3, 4, 3, 3, 5, 6], RED, """
        .......
        .......
        ...R...
        ...YRY.
        ...YRR.
        ...YRYR
        """, id="falling diagonal to the bottom-right corner"),
    pytest.param([0, 0, 1, 1, 3, 3, 2], RED, """
        .......
        .......
        .......
        .......
        YY.Y...
        RRRR...
        """, id="filling the gap in the middle of a line"),
    pytest.param([6, 0, 6, 1, 5, 2, 6, 3], YELLOW, """
        .......
        .......
        .......
        ......R
        ......R
        YYYY.RR
        """, id="yellow, on the bottom row"),
]


@pytest.mark.parametrize("columns, winner, board", WINS)
def test_four_in_a_line_wins(columns, winner, board):
    game = play_all(Connect4(), columns)
    assert picture(game) == drawing(board)
    assert game.winner == winner
    assert game.over
    assert not game.draw


@pytest.mark.parametrize("columns, winner, board", WINS)
def test_one_checker_short_of_four_nobody_has_won(columns, winner, board):
    game = play_all(Connect4(), columns[:-1])
    assert game.winner is None
    assert not game.over
    assert game.next_player == winner


# Shapes that would be lines of four only if the board wrapped around. The
# first five would count if the bitboard had no spare bit above each column:
# the top of one column would run on into the bottom of the next, and the
# diagonals would wrap likewise. The last two would count if a row ran on from
# column 6 back to column 0, of the same row or of the next.
NOT_LINES = [
    pytest.param([0, 0, 1, 0, 0, 3, 0, 5, 0], """
        R......
        R......
        R......
        Y......
        Y......
        RR.Y.Y.
        """, id="column 0's top three and column 1's bottom one"),
    pytest.param([1, 0, 0, 0, 1, 0, 0, 6, 6, 5, 0], """
        R......
        R......
        Y......
        Y......
        RR....R
        YR...YY
        """, id="column 0's top two and column 1's bottom two"),
    pytest.param([6, 5, 6, 5, 5, 5, 6, 5, 5], """
        .....R.
        .....Y.
        .....Y.
        .....RR
        .....YR
        .....YR
        """, id="column 5's top one and column 6's bottom three"),
    pytest.param([4, 0, 0, 1, 2, 1, 0, 1, 0, 2, 1, 2, 1, 2, 2, 3, 2], """
        ..R....
        .RR....
        RRY....
        RYY....
        RYY....
        YYRYR..
        """, id="rising diagonal off the top onto row 0"),
    pytest.param([0, 0, 0, 1, 2, 2, 1, 2, 2, 2, 2], """
        ..R....
        ..Y....
        ..R....
        R.Y....
        YRY....
        RYR....
        """, id="falling diagonal off the bottom onto row 5"),
    pytest.param([0, 0, 1, 1, 5, 5, 6], """
        .......
        .......
        .......
        .......
        YY...Y.
        RR...RR
        """, id="row 0 from column 5 round to column 1"),
    pytest.param([4, 0, 6, 3, 5, 2, 0], """
        .......
        .......
        .......
        .......
        R......
        Y.YYRRR
        """, id="row 0's columns 4 to 6 and row 1's column 0"),
]


@pytest.mark.parametrize("columns, board", NOT_LINES)
def test_lines_do_not_wrap_around_the_board(columns, board):
    game = play_all(Connect4(), columns)
    assert picture(game) == drawing(board)
    assert game.winner is None
    assert not game.over


# A full board

# Fill the columns one after another, except that one checker goes into
# column 4 before column 3, which turns column 3 upside down.
DRAW = [0] * 6 + [1] * 6 + [2] * 6 + [4] + [3] * 6 + [4] * 5 + [5] * 6 + [6] * 6

# Yellow's 42nd checker, in the top-left corner, completes a falling diagonal.
WIN_ON_THE_LAST_MOVE = (
    [0] * 5 + [3] + [1] * 4 + [2] + [1] * 2 + [2] * 5 + [3] * 5 + [4] * 5
    + [5] * 6 + [6] * 6 + [4, 0]
)


def test_a_full_board_without_four_in_a_line_is_a_draw():
    game = play_all(Connect4(), DRAW)
    assert picture(game) == drawing("""
        YYYRYYY
        RRRYRRR
        YYYRYYY
        RRRYRRR
        YYYRYYY
        RRRYRRR
        """)
    assert len(game.moves) == FULL_BOARD
    assert game.draw
    assert game.over
    assert game.winner is None


def test_the_game_goes_on_until_the_board_is_full():
    game = play_all(Connect4(), DRAW[:-1])
    assert not game.draw
    assert not game.over


def test_four_in_a_line_with_the_last_checker_is_a_win_not_a_draw():
    game = play_all(Connect4(), WIN_ON_THE_LAST_MOVE[:-1])
    assert not game.over
    game.play(YELLOW, WIN_ON_THE_LAST_MOVE[-1])
    assert picture(game) == drawing("""
        YRYRRYY
        RYRYYRR
        YYYRRYY
        RRRYYRR
        YYYRRYY
        RRRYYRR
        """)
    assert len(game.moves) == FULL_BOARD
    assert game.winner == YELLOW
    assert game.over
    assert not game.draw


def test_a_whole_game_leaves_no_new_objects_for_the_garbage_collector():
    # A server plays thousands of moves a second. An object kept per move,
    # such as a tuple, made the collector run during games, and each run
    # walks every object of every game: a few percent of the server's CPU.
    game = Connect4()
    gc.disable()  # so that no collection resets the count midway
    try:
        before = gc.get_count()[0]
        play_all(game, DRAW)
        kept = gc.get_count()[0] - before
    finally:
        gc.enable()
    assert game.draw
    assert kept <= 0


# Refused moves: each raises ValueError and leaves the game as it was


def test_yellow_cannot_move_first():
    assert_refused(Connect4(), YELLOW, 3, "It isn't your turn.")


def test_nobody_moves_twice_in_a_row():
    game = play_all(Connect4(), [3])
    assert_refused(game, RED, 4, "It isn't your turn.")
    game.play(YELLOW, 4)
    assert_refused(game, YELLOW, 4, "It isn't your turn.")


def test_a_column_holds_six_checkers():
    game = play_all(Connect4(), [2] * ROWS)
    assert_refused(game, RED, 2, "This column is full.")
    assert game.play(RED, 3) == 0


@pytest.mark.parametrize("player", [RED, YELLOW])
@pytest.mark.parametrize("column", [0, 3, 6])
def test_nobody_moves_after_a_win(player, column):
    game = play_all(Connect4(), [0, 1, 0, 1, 0, 1, 0])
    assert_refused(game, player, column, "The game is over.")


@pytest.mark.parametrize("player", [RED, YELLOW])
def test_nobody_moves_after_a_draw(player):
    game = play_all(Connect4(), DRAW)
    assert_refused(game, player, 0, "The game is over.")


@pytest.mark.parametrize("column", [
    -1, 7, 10, 10**100, -10**100,
    True, False,  # bool is a subclass of int, but not a column
    1.0, 0.5, float("nan"), float("inf"), 3 + 0j,
    "3", "", None, [1], (3,), {3},
])
def test_columns_are_integers_from_0_to_6(column):
    assert_refused(Connect4(), RED, column, "Columns are numbered 0 to 6.")


@pytest.mark.parametrize("player", ["green", None, "", "Red", " red", 1, 0.5])
def test_only_red_and_yellow_play(player):
    assert_refused(Connect4(), player, 3, f"{player!r} isn't a player.")


@pytest.mark.parametrize("player", [[RED], {"colour": RED}])
def test_an_unhashable_player_is_refused_like_any_other_stranger(player):
    assert_refused(Connect4(), player, 3, f"{player!r} isn't a player.")


def test_the_game_goes_on_normally_after_refused_moves():
    game = play_all(Connect4(), [3])
    for player, column in [(RED, 3), (YELLOW, 7), ("green", 3), (YELLOW, "3")]:
        with pytest.raises(ValueError):
            game.play(player, column)
    assert game.play(YELLOW, 3) == 1
    assert game.moves == [(RED, 3, 0), (YELLOW, 3, 1)]


# Properties of arbitrary games


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, COLUMNS - 1), min_size=42, max_size=150))
def test_random_games_agree_with_the_brute_force_referee(choices):
    """Play each choice whose column has room, until the game is over."""
    game = Connect4()
    for column in choices:
        if game.over:
            break
        checkers_below = checkers_in(game.moves, column)
        if checkers_below == ROWS:
            continue
        player = game.next_player
        row = game.play(player, column)

        assert row == checkers_below
        assert game.moves[-1] == (player, column, row)
        winner = brute_force_winner(game.moves)
        full = len(game.moves) == FULL_BOARD
        assert game.winner == winner
        assert game.over == (winner is not None or full)
        assert game.draw == (full and winner is None)
    if game.over:
        assert_refused(game, game.next_player, 0, "The game is over.")


def is_legal(moves, player, column):
    """Whether the rules let player drop a checker into column after moves."""
    if brute_force_winner(moves) is not None or len(moves) == FULL_BOARD:
        return False
    if isinstance(column, bool) or not isinstance(column, int):
        return False
    turn = RED if len(moves) % 2 == 0 else YELLOW
    return player == turn and 0 <= column < COLUMNS and checkers_in(moves, column) < ROWS


any_player = st.one_of(
    st.sampled_from([RED, YELLOW, "green", None, "", "Red", 0, 1, True, 0.5, [RED], {}]),
    st.text(max_size=6),
)
any_column = st.one_of(
    st.integers(-3, COLUMNS + 3),
    st.integers(),
    st.booleans(),
    st.floats(),
    st.text(max_size=3),
    st.sampled_from([None, [1], (3,), 3 + 0j]),
)
likely_moves = st.tuples(st.sampled_from([RED, YELLOW]), st.integers(0, COLUMNS - 1))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(likely_moves, st.tuples(any_player, any_column)),
        min_size=30,
        max_size=100,
    )
)
def test_moves_are_played_exactly_when_legal_and_refusals_change_nothing(attempts):
    game = Connect4()
    expected_moves = []
    for player, column in attempts:
        if is_legal(expected_moves, player, column):
            row = checkers_in(expected_moves, column)
            assert game.play(player, column) == row
            expected_moves.append((player, column, row))
            assert game.moves == expected_moves
        else:
            before = snapshot(game)
            with pytest.raises(ValueError):
                game.play(player, column)
            assert snapshot(game) == before


# The games that the server's and the page's tests share (conftest.py).


@pytest.mark.parametrize(
    "name, winner, draw",
    [
        ("RED_WINS", RED, False),
        ("RED_WINS_DIAGONAL", RED, False),
        ("YELLOW_WINS", YELLOW, False),
        ("DRAW", None, True),
    ],
)
def test_each_shared_game_ends_as_its_name_says(name, winner, draw):
    columns = getattr(conftest, name)
    game = Connect4()
    for index, column in enumerate(columns):
        assert not game.over, f"{name} ended before its move {index}"
        game.play(game.next_player, column)
    assert (game.over, game.winner, game.draw) == (True, winner, draw)


def test_refused_moves_do_not_rely_on_assert():
    # python -O strips assert statements: validation must not depend on them.
    code = (
        "from connect4 import Connect4\n"
        "game = Connect4()\n"
        "try:\n"
        "    game.play('yellow', 0)\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", code], cwd=conftest.ROOT, capture_output=True, text=True
    )
    assert result.stdout == "It isn't your turn.\n"
