"""The analysis of a finished game: stepping through it, its turning points."""

import json
import re

from computer import levels
from connect4 import COLUMNS, ROWS
from utils import RED_WINS_DIAGONAL, YELLOW_WINS

from .pages import (
    DESKTOP,
    PHONE,
    PHONE_OPTIONS,
    SEARCH_WAIT,
    analysis_panel,
    analysis_position,
    assert_first_page_fits,
    board_on_screen,
    button,
    cells,
    column,
    column_value_texts,
    column_values,
    expect,
    expect_class,
    expect_no_class,
    expected_board,
    headline,
    here,
    play_game,
    record_events,
    screenshot,
    shared_link,
    start_game,
    status,
    status_button,
    turning_points,
    wait_for_moves,
)


def expected_values(analysis, step):
    """What the page should show under each column at this step, from the server's scores."""
    values = []
    for score in analysis["scores"][step]:
        if score is None:
            values.append("—")
        else:
            result, count = levels.outcome(score, step)
            values.append(result if result == "draw" else f"{result} in {count}")
    return values


def expected_turning_points(analysis, names):
    """The moves that changed the result, in words; names maps colours to "Red's" or "Your"."""
    points = []
    for step, played in enumerate(analysis["columns"]):
        scores = analysis["scores"][step]
        best = max(score for score in scores if score is not None)
        score = scores[played]
        lost = "win" if best > 0 and score <= 0 else "draw" if best == 0 and score < 0 else None
        if lost is not None:
            colour = "red" if step % 2 == 0 else "yellow"
            number = step // 2 + 1
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10 if number not in (11, 12, 13) else 0, "th")
            points.append(f"{names[colour]} {number}{suffix} move threw away a {lost}")
    return points


def the_analysis(events):
    [analysis] = [event for event in events if event["type"] == "analysis"]
    return analysis


def assert_analysis_step(page, analysis, step):
    """The board, the counter and the values at this step are the server's."""
    expect(analysis_position(page)).to_have_text(f"{step} / {len(analysis['columns'])}")
    wait_for_moves(page, step)
    assert board_on_screen(page) == expected_board(analysis["columns"][:step])
    expect(column_value_texts(page)).to_have_text(expected_values(analysis, step))
    scores = analysis["scores"][step]
    known = [score for score in scores if score is not None]
    best = [index for index, score in enumerate(scores) if known and score == max(known)]
    for index in range(COLUMNS):
        item = column_values(page).nth(index)
        if index in best:
            expect_class(item, "best")
            expect_class(column(page, index), "best")
        else:
            expect_no_class(item, "best")


def hold_analysis_requests(page):
    """Relay the page's WebSocket, holding back its analyse events until release() is called."""
    held = []

    def relay(to_page):
        to_server = to_page.connect_to_server()

        def from_page(message):
            if json.loads(message)["type"] == "analyse":
                held.append((to_server, message))
            else:
                to_server.send(message)

        to_page.on_message(from_page)

    def release():
        assert held, "the page sent no analyse event"
        for to_server, message in held:
            to_server.send(message)

    page.route_web_socket(re.compile(r"^wss?://"), relay)
    return release


def test_players_step_through_the_analysis_of_their_game(open_page):
    holder = {}

    def prepare(page):
        holder["events"] = record_events(page)
        holder["release"] = hold_analysis_requests(page)

    red, yellow = start_game(open_page, red_options={"before_goto": prepare})
    events = holder["events"]
    play_game(RED_WINS_DIAGONAL, red, yellow)
    button(red, "Analyse").click()
    # Until the server answers, the page says it's working on it.
    expect(status_button(red, "Analysing…")).to_be_disabled()
    holder["release"]()
    expect(analysis_panel(red)).to_be_visible(timeout=SEARCH_WAIT)
    analysis = the_analysis(events)
    assert analysis["columns"] == RED_WINS_DIAGONAL

    # The analysis starts from the empty board, with the keyboard ready.
    expect(button(red, "Next move")).to_be_focused()
    expect(headline(red)).to_have_text("Your 1st move")
    assert_analysis_step(red, analysis, 0)
    for step in (1, 2, 3):
        red.keyboard.press("ArrowRight")
        assert_analysis_step(red, analysis, step)
    expect(headline(red)).to_have_text("Yellow's 2nd move")
    expect(status(red)).to_contain_text(f"Played column {RED_WINS_DIAGONAL[3] + 1}:")
    screenshot(red, "desktop-analysis.png")
    red.keyboard.press("ArrowLeft")
    assert_analysis_step(red, analysis, 2)
    red.keyboard.press("End")
    assert_analysis_step(red, analysis, len(RED_WINS_DIAGONAL))
    expect(headline(red)).to_have_text("You won!")
    button(red, "Start of the game").click()
    assert_analysis_step(red, analysis, 0)
    button(red, "Next move").click()
    assert_analysis_step(red, analysis, 1)

    # The moves that changed the result are listed, and lead to their position.
    points = expected_turning_points(analysis, {"red": "Your", "yellow": "Yellow's"})
    listed = turning_points(red)
    expect(listed).to_have_text(points or ["No move changed the result."])
    if points:
        listed.first.get_by_role("button").click()
        expect(listed.first.get_by_role("button")).to_have_attribute("aria-current", "step")
        expect(status(red)).to_contain_text("threw away a")
    assert_first_page_fits(red, DESKTOP)

    # Back to the game: the final position, and the rematch works.
    button(red, "Back to the game").click()
    expect(analysis_panel(red)).to_be_hidden()
    expect(cells(red, "winning")).to_have_count(4)
    assert board_on_screen(red) == expected_board(RED_WINS_DIAGONAL)
    expect(headline(red)).to_have_text("You won!")
    for page in (red, yellow):
        button(page, "Rematch").click()
    expect(status(red)).to_contain_text("You are yellow")
    expect(cells(red, "empty")).to_have_count(COLUMNS * ROWS)
    expect(button(red, "Analyse")).to_be_hidden()


def test_a_spectator_opens_the_analysis_on_a_phone(open_page):
    red, yellow = start_game(open_page)
    holder = {}
    spectator = open_page(
        here(red, shared_link(red, "watch")),
        before_goto=lambda page: holder.setdefault("events", record_events(page)),
        **PHONE_OPTIONS,
    )
    expect(status(spectator)).to_contain_text("You are watching")
    play_game(YELLOW_WINS, red, yellow, [spectator])
    expect(headline(spectator)).to_have_text("Yellow wins!")
    assert_first_page_fits(spectator, PHONE)
    screenshot(spectator, "phone-analyse-button.png")

    button(spectator, "Analyse").tap()
    expect(analysis_panel(spectator)).to_be_visible(timeout=SEARCH_WAIT)
    analysis = the_analysis(holder["events"])
    assert analysis["columns"] == YELLOW_WINS
    expect(headline(spectator)).to_have_text("Red's 1st move")
    assert_analysis_step(spectator, analysis, 0)
    for step in range(1, 6):
        button(spectator, "Next move").tap()
        assert_analysis_step(spectator, analysis, step)
    expect(headline(spectator)).to_have_text("Yellow's 3rd move")
    assert_first_page_fits(spectator, PHONE)
    screenshot(spectator, "phone-analysis.png")
    points = expected_turning_points(analysis, {"red": "Red's", "yellow": "Yellow's"})
    expect(turning_points(spectator)).to_have_text(points or ["No move changed the result."])

    button(spectator, "End of the game").tap()
    assert_analysis_step(spectator, analysis, len(YELLOW_WINS))
    expect(headline(spectator)).to_have_text("Yellow wins!")
    expect(column_value_texts(spectator)).to_have_text(["—"] * COLUMNS)
    expect(cells(spectator, "winning")).to_have_count(4)
    screenshot(spectator, "phone-analysis-end.png")

    # Escape leaves too; the players never noticed.
    spectator.keyboard.press("Escape")
    expect(analysis_panel(spectator)).to_be_hidden()
    expect(button(spectator, "Analyse")).to_be_focused()
    assert board_on_screen(spectator) == expected_board(YELLOW_WINS)
    expect(headline(red)).to_have_text("Yellow wins")

