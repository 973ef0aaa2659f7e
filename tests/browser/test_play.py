"""Playing a game: the board, turns, moves refused, the last move, the result."""

from connect4 import COLUMNS, ROWS
from utils import DRAW, RED_WINS, RED_WINS_DIAGONAL

from .pages import (
    RED,
    YELLOW,
    board,
    board_on_screen,
    cell,
    cells,
    column,
    distance,
    expect,
    expect_class,
    expect_no_class,
    expected_board,
    headline,
    here,
    pixel,
    play,
    play_game,
    score_line,
    screenshot,
    shared_link,
    start_game,
    status,
    wait_for_moves,
    watch_game,
    winning_places,
)

# The four in a row of RED_WINS_DIAGONAL, as [column, row], row 0 at the bottom.
DIAGONAL = [[1, 0], [2, 1], [3, 2], [4, 3]]


def test_your_column_is_highlighted_only_on_your_turn(open_page):
    red, yellow = start_game(open_page)
    plain = "rgba(0, 0, 0, 0)"

    column(red, 2).hover()
    expect(column(red, 2)).not_to_have_css("background-color", plain)
    column(yellow, 2).hover()
    expect(column(yellow, 2)).to_have_css("background-color", plain)

    play_game([2], red, yellow)
    column(red, 2).hover()
    expect(column(red, 2)).to_have_css("background-color", plain)
    column(yellow, 2).hover()
    expect(column(yellow, 2)).not_to_have_css("background-color", plain)


def test_full_game_until_red_wins(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    expect(headline(red)).to_have_text("Your turn")
    expect(headline(yellow)).to_have_text("Red's turn")

    play_game(RED_WINS, red, yellow, [spectator])

    expected = expected_board(RED_WINS)
    for page in (red, yellow, spectator):
        expect(cells(page, "winning")).to_have_count(4)
        assert board_on_screen(page) == expected
    expect(headline(red)).to_have_text("You won!")
    expect(headline(yellow)).to_have_text("Red wins")
    expect(headline(spectator)).to_have_text("Red wins!")
    # The four are the four in column 0.
    for row in range(4):
        expect_class(cell(spectator, 0, row), "winning")
    screenshot(spectator, "finished.png")

    # The game is over: a click only earns an explanation.
    play(yellow, 2)
    expect(status(yellow)).to_contain_text("The game is over.")
    expect(headline(yellow)).to_have_text("Red wins")
    for page in (red, yellow, spectator):
        assert board_on_screen(page) == expected


def test_the_winning_four_are_shown_again_after_a_reload(open_page):
    # The server says who won, never where: the page finds the four
    # (page/rules.js) in the moves it was sent, replayed after a reload.
    red, yellow = start_game(open_page)
    play_game(RED_WINS_DIAGONAL, red, yellow)
    expect(cells(red, "winning")).to_have_count(4)
    assert winning_places(red) == DIAGONAL

    # A player who reloads, and a spectator who comes after the game, see
    # the same four.
    red.reload()
    expect(headline(red)).to_have_text("You won!")
    wait_for_moves(red, len(RED_WINS_DIAGONAL))
    expect(cells(red, "winning")).to_have_count(4)
    for index, row in DIAGONAL:
        expect_class(cell(red, index, row), "winning")
    spectator = open_page(here(red, shared_link(red, "watch")))
    expect(headline(spectator)).to_have_text("Red wins!")
    expect(cells(spectator, "winning")).to_have_count(4)
    assert winning_places(spectator) == DIAGONAL


def test_a_click_out_of_turn_explains_itself(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    play(yellow, 3)
    expect(status(yellow)).to_contain_text("It's red's turn.")
    play(spectator, 3)
    expect(status(spectator)).to_contain_text("Only the players can play.")
    expect(cells(red, "empty")).to_have_count(COLUMNS * ROWS)

    # Red moves, then tries to move again before yellow.
    play_game([3], red, yellow)
    play(red, 4)
    expect(status(red)).to_contain_text("It's yellow's turn.")
    for page in (red, yellow):
        assert board_on_screen(page) == expected_board([3])

    # The next move clears the explanation.
    play_game([4], red, yellow, already=1)
    expect(status(red)).not_to_contain_text("It's yellow's turn.")
    expect(headline(red)).to_have_text("Your turn")


def test_a_full_column_is_refused_with_a_reason(open_page):
    red, yellow = start_game(open_page)
    play_game([0, 0, 0, 0, 0, 0], red, yellow)
    expect(column(red, 0)).to_have_attribute(
        "aria-label", "Column 1: red, yellow, red, yellow, red, yellow; full"
    )
    play(red, 0)
    expect(status(red)).to_contain_text("That column is full.")
    wait_for_moves(red, 6)


def test_a_full_column_is_refused_after_a_reload(open_page):
    # The server refuses a move into a full column only once it is sent; the
    # page finds full columns itself (page/rules.js) from the moves in its
    # state, which, after a reload, are all replayed by the server.
    red, yellow = start_game(open_page)
    play_game([0] * ROWS, red, yellow)

    red.reload()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, ROWS)
    play(red, 0)
    # The page's own words: the server, had the move reached it, would have
    # answered "This column is full."
    expect(status(red)).to_contain_text("That column is full.")
    wait_for_moves(yellow, ROWS)

    # Any other column is played as usual.
    red.keyboard.press(str(COLUMNS))
    for page in (red, yellow):
        wait_for_moves(page, ROWS + 1)
        expect_class(cell(page, COLUMNS - 1, 0), "red")


def test_full_board_is_a_draw(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    play_game(DRAW, red, yellow, [spectator])

    expected = expected_board(DRAW)
    for page in (red, yellow, spectator):
        expect(cells(page, "empty")).to_have_count(0)
        expect(headline(page)).to_have_text("It's a draw")
        assert board_on_screen(page) == expected
    expect(score_line(spectator)).to_contain_text("Host 0 – 0 Guest · 1 draw")


def test_whose_turn_shows_from_across_the_room(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    def assert_turn(colour):
        for page in (red, yellow, spectator):
            framed = board(page)
            expect(framed).to_have_css("outline-color", colour)
            expect(framed).to_have_css("outline-style", "solid")
            assert float(framed.evaluate("b => parseFloat(getComputedStyle(b).outlineWidth)")) >= 4

    assert_turn(RED)
    # Your own turn: the status box takes your colour; not on the other's turn.
    expect_class(status(red), "my-turn")
    expect(status(red)).not_to_have_css("background-color", "rgb(255, 253, 248)")
    expect_no_class(status(yellow), "my-turn")
    expect(status(yellow)).to_have_css("background-color", "rgb(255, 253, 248)")
    screenshot(spectator, "turn-red.png")

    play_game([3], red, yellow, [spectator])
    assert_turn(YELLOW)
    expect_class(status(yellow), "my-turn")
    expect_no_class(status(red), "my-turn")
    screenshot(yellow, "turn-yellow.png")

    play_game([0, 4, 0, 4, 0, 4, 0], red, yellow, [spectator], already=1)
    expect(headline(spectator)).to_have_text("Yellow wins!")
    expect(board(spectator)).to_have_css("outline-style", "none")


def test_the_last_move_is_marked_on_both_colours(open_page):
    red, yellow = start_game(open_page)
    play_game([3], red, yellow)

    def contrast(page, index, row):
        """How far the middle of a checker is from a point of its body."""
        box = cell(page, index, row).bounding_box()
        middle = pixel(page, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        body = pixel(page, box["x"] + box["width"] * 0.32, box["y"] + box["height"] / 2)
        return distance(middle, body)

    # Red's last move has its mark; once yellow moves, only yellow's has.
    assert contrast(yellow, 3, 0) > 100
    play_game([3], red, yellow, already=1)
    assert contrast(red, 3, 1) > 100
    assert contrast(red, 3, 0) < 20
    expect(cells(red, "last")).to_have_count(1)
    screenshot(red, "last-move.png")


def test_the_result_is_celebrated_unless_motion_is_reduced(open_page):
    red, yellow = start_game(open_page)
    play_game(RED_WINS, red, yellow)
    expect(headline(red)).to_have_text("You won!")
    # The winning four bounce, briefly.
    names = red.evaluate("document.getAnimations().map((animation) => animation.animationName)")
    assert "celebrate" in names, names

    calm = {"reduced_motion": "reduce"}
    red, yellow = start_game(open_page, red_options=calm, yellow_options=calm)
    play_game(RED_WINS, red, yellow)
    for page in (red, yellow):
        expect(cells(page, "winning")).to_have_count(4)
        assert page.evaluate("document.getAnimations().length") == 0

