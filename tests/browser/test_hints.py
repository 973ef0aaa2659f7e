"""Play from here, in the analysis, and hints in a game against the computer."""

from computer import levels
from solver import Position, Solver
from utils import RED_WINS

from .pages import (
    columns_played,
    DESKTOP,
    PHONE,
    PHONE_OPTIONS,
    SEARCH_WAIT,
    analysis_panel,
    analysis_position,
    assert_first_page_fits,
    board_message_text,
    board_on_screen,
    button,
    choose_computer,
    column_value_texts,
    column_values,
    computer_options,
    computer_start_link,
    expect,
    expect_class,
    expect_no_class,
    expected_board,
    headline,
    here,
    hints_switch,
    play,
    play_from_here_button,
    play_game,
    record_events,
    screenshot,
    shared_link,
    start_game,
    status,
    wait_for_moves,
)


def assert_hints(page, columns):
    """The page shows, under each column, what the solver says of its move, the best in green."""
    scores = Solver().scores(Position.from_columns(columns))
    words = []
    for score in scores:
        if score is None:
            words.append("—")
        else:
            result, count = levels.outcome(score, len(columns))
            words.append(result if result == "draw" else f"{result} in {count}")
    expect(column_value_texts(page)).to_have_text(words, timeout=SEARCH_WAIT)
    best = max(score for score in scores if score is not None)
    for index, score in enumerate(scores):
        if score == best:
            expect_class(column_values(page).nth(index), "best")
        else:
            expect_no_class(column_values(page).nth(index), "best")
    return scores.index(best)


def open_analysis_of_a_finished_game(open_page, **options):
    """Two people play RED_WINS; red opens its analysis; return red's page and the events it got."""
    holder = {}
    red, yellow = start_game(
        open_page,
        red_options={"before_goto": lambda page: holder.setdefault("events", record_events(page)), **options},
    )
    play_game(RED_WINS, red, yellow)
    button(red, "Analyse").click()
    expect(analysis_panel(red)).to_be_visible(timeout=SEARCH_WAIT)
    return red, holder["events"]


def test_play_from_a_position_of_the_analysis_then_hints_on_and_off(open_page):
    red, events = open_analysis_of_a_finished_game(open_page)
    # At the end of the game, nobody can play from there.
    button(red, "End of the game").click()
    expect(play_from_here_button(red)).to_be_disabled()
    button(red, "Start of the game").click()
    for _ in range(3):
        button(red, "Next move").click()
    expect(analysis_position(red)).to_have_text(f"3 / {len(RED_WINS)}")
    expect(computer_options(red)).to_be_hidden()
    play_from_here_button(red).click()
    expect(play_from_here_button(red)).to_have_attribute("aria-expanded", "true")
    expect(computer_options(red)).to_be_visible()
    choose_computer(red, "perfect", "yellow")
    expect(computer_start_link(red)).to_have_attribute("href", "./?computer=perfect&player=yellow&moves=121")
    # The link follows the position shown.
    button(red, "Next move").click()
    expect(computer_start_link(red)).to_have_attribute("href", "./?computer=perfect&player=yellow&moves=1212")
    button(red, "Previous move").click()
    expect(computer_start_link(red)).to_have_attribute("href", "./?computer=perfect&player=yellow&moves=121")
    screenshot(red, "desktop-play-from-here.png")

    computer_start_link(red).click()
    expect(status(red)).to_contain_text("You are yellow.")
    # Seated: a reload resumes this game rather than start another.
    red.wait_for_url(lambda url: "moves=" not in url and "computer=" not in url)
    wait_for_moves(red, 3)
    assert board_on_screen(red) == expected_board(RED_WINS[:3])
    expect(headline(red)).to_have_text("Your turn")
    assert columns_played(events) == RED_WINS[:3]

    # Hints: off at first, then under each column on the person's turn.
    expect(hints_switch(red)).not_to_be_checked()
    expect(column_values(red).filter(visible=True)).to_have_count(0)
    hints_switch(red).check()
    best = assert_hints(red, RED_WINS[:3])
    assert_first_page_fits(red, DESKTOP)
    screenshot(red, "desktop-hints.png")
    play(red, best)
    wait_for_moves(red, 5)  # the person's, then the computer's
    expect(headline(red)).to_have_text("Your turn", timeout=SEARCH_WAIT)
    assert_hints(red, columns_played(events))

    # A reload keeps the choice: the page asks again on its new connection.
    red.reload()
    expect(status(red)).to_contain_text("You are yellow.")
    expect(hints_switch(red)).to_be_checked()
    assert_hints(red, columns_played(events))

    hints_switch(red).uncheck()
    expect(column_values(red).filter(visible=True)).to_have_count(0)


def test_play_from_here_and_hints_on_a_phone(open_page):
    red, events = open_analysis_of_a_finished_game(open_page, **PHONE_OPTIONS)
    for _ in range(3):
        button(red, "Next move").tap()
    play_from_here_button(red).tap()
    choose_computer(red, "medium", "red")
    expect(computer_start_link(red)).to_have_attribute("href", "./?computer=medium&player=red&moves=121")
    screenshot(red, "phone-play-from-here.png")
    computer_start_link(red).tap()
    # Yellow's turn after three moves: the computer, yellow, moves at once.
    expect(status(red)).to_contain_text("You are red.")
    wait_for_moves(red, 4)
    expect(headline(red)).to_have_text("Your turn", timeout=SEARCH_WAIT)
    assert columns_played(events)[:3] == RED_WINS[:3]
    red.wait_for_url(lambda url: "moves=" not in url)

    hints_switch(red).tap()
    assert_hints(red, columns_played(events))
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone-hints.png")

    # Spectators never see hints, nor a switch for them.
    spectator = open_page(here(red, shared_link(red, "watch")), **PHONE_OPTIONS)
    expect(status(spectator)).to_contain_text("You are watching")
    wait_for_moves(spectator, 4)
    expect(hints_switch(spectator)).to_be_hidden()
    expect(column_values(spectator).filter(visible=True)).to_have_count(0)

    hints_switch(red).tap()
    expect(column_values(red).filter(visible=True)).to_have_count(0)


def test_a_bookmarked_game_from_here_starts_from_its_moves(open_page):
    page = open_page("?computer=easy&player=red&moves=4453")
    expect(status(page)).to_contain_text("You are red.")
    wait_for_moves(page, 4)
    assert board_on_screen(page) == expected_board([3, 3, 4, 2])
    page.wait_for_url(lambda url: "moves=" not in url)
    expect(headline(page)).to_have_text("Your turn")


def test_no_hints_in_a_game_between_people(open_page):
    red, yellow = start_game(open_page)
    play_game([3], red, yellow)
    for page in (red, yellow):
        expect(hints_switch(page)).to_be_hidden()
        expect(column_values(page).filter(visible=True)).to_have_count(0)


def test_a_finished_sequence_in_the_address_is_refused_clearly(open_page):
    page = open_page("?computer=easy&player=red&moves=1212121")
    expect(headline(page)).to_have_text("Can't open this game")
    expect(board_message_text(page)).to_have_text("These moves end the game: nobody can play from there.")
