"""Playing the computer, from choosing a level to its rematch."""

import re

import pytest

from solver import Position
from utils import MS

from .pages import (
    columns_played,
    DESKTOP,
    PHONE,
    PHONE_OPTIONS,
    SEARCH_WAIT,
    announcer,
    assert_first_page_fits,
    board_on_screen,
    button,
    expect,
    expected_board,
    headline,
    play,
    record_events,
    score_line,
    screenshot,
    share_heading,
    status,
    wait_for_moves,
    watch_game,
)


def quick_move(columns):
    """A person's move that ends games soon: win, else block, else stack the middle."""
    position = Position.from_columns(columns)
    for choice in (position.winning_columns(), position.threatened_columns()):
        if choice:
            return choice[0]
    return min(position.playable_columns(), key=lambda index: abs(index - 3))


def start_computer_game(open_page, level, colour, **options):
    """Open the page, choose a level and a colour, follow the start link."""
    holder = {}
    page = open_page(before_goto=lambda page: holder.setdefault("events", record_events(page)), **options)
    expect(headline(page)).to_have_text("Your turn")
    toggle = button(page, "Play the computer")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.get_by_role("group", name="Level").get_by_label(level.capitalize()).check()
    page.get_by_role("group", name="You play").get_by_label(
        "Red, first" if colour == "red" else "Yellow"
    ).check()
    start = page.get_by_role("link", name="Start")
    expect(start).to_have_attribute("href", f"./?computer={level}&player={colour}")
    return page, holder["events"], start


def play_computer_to_the_end(page, events, computer_name):
    """Click the person's moves until the game ends; return its columns."""
    finished = re.compile(r"^(You won!|It's a draw|.* wins)$")
    while True:
        expect(headline(page)).to_have_text(
            re.compile(r"^(Your turn|You won!|It's a draw|.* wins)$"), timeout=SEARCH_WAIT
        )
        if finished.match(headline(page).text_content()):
            return columns_played(events)
        columns = columns_played(events)
        wait_for_moves(page, len(columns))
        play(page, quick_move(columns))
        wait_for_moves(page, len(columns) + 1)


def describe_result(events, colour, computer_name):
    """The headline a person sees at the end of a game, from its events."""
    result = [event for event in events if event["type"] in ("win", "draw")][-1]
    if result["type"] == "draw":
        return "It's a draw"
    return "You won!" if result["player"] == colour else f"{computer_name} wins"


@pytest.mark.parametrize(
    "level, colour, options, size",
    [("easy", "red", {}, "desktop"), ("perfect", "yellow", PHONE_OPTIONS, "phone")],
)
def test_a_game_against_the_computer(open_page, app_process, level, colour, options, size):
    # The computer takes half a second per move, as by default, so that the
    # test sees it think.
    app = app_process("--computer-delay", str(500 * MS))
    viewport = PHONE if size == "phone" else DESKTOP
    page, events, start = start_computer_game(open_page, level, colour, base=app.url, **options)
    screenshot(page, f"{size}-computer-options.png")
    start.click()

    name = f"Computer ({level})"
    expect(status(page)).to_contain_text(f"You are {colour}.")
    # Seated: a reload resumes this game rather than start another.
    page.wait_for_url(lambda url: "computer=" not in url)
    # The computer's seat is taken: no invitation, only the watch link.
    expect(share_heading(page)).to_have_text("Anyone can watch at")
    if colour == "yellow":
        expect(headline(page)).to_have_text(f"{name} is thinking…")
        screenshot(page, f"{size}-computer-thinking.png")
    expect(headline(page)).to_have_text("Your turn", timeout=SEARCH_WAIT)
    columns = columns_played(events)
    play(page, quick_move(columns))
    expect(headline(page)).to_have_text(f"{name} is thinking…")
    expect(announcer(page)).to_have_text(
        re.compile(rf"^{re.escape(name)} played column \d\.$"), timeout=SEARCH_WAIT
    )
    wait_for_moves(page, len(columns) + 2)
    assert_first_page_fits(page, viewport)

    # A reload mid-game keeps the seat and the board.
    before = board_on_screen(page)
    page.reload()
    expect(status(page)).to_contain_text(f"You are {colour}.")
    wait_for_moves(page, len(columns) + 2)
    assert board_on_screen(page) == before
    assert "computer=" not in page.url

    columns = play_computer_to_the_end(page, events, name)
    assert board_on_screen(page) == expected_board(columns)
    result = describe_result(events, colour, name)
    expect(headline(page)).to_have_text(result)
    won, lost = int(result == "You won!"), int(result.endswith(" wins"))
    expect(score_line(page)).to_contain_text(f"You {won} – {lost} Computer")
    assert_first_page_fits(page, viewport)
    screenshot(page, f"{size}-computer-finished.png")

    # A spectator sees the computer named too, with the same score.
    spectator = watch_game(open_page, page, base=app.url, **options)
    expect(score_line(spectator)).to_contain_text(f"Host {won} – {lost} Computer")
    if lost:
        expect(headline(spectator)).to_have_text(f"{name} wins!")

    # The computer always wants a rematch: one click starts it, colours swapped.
    button(page, "Rematch").click()
    other = "red" if colour == "yellow" else "yellow"
    expect(status(page)).to_contain_text(f"You are {other}.")
    # Whoever has red now starts.
    expect(headline(page)).to_have_text("Your turn", timeout=SEARCH_WAIT)
    wait_for_moves(page, 1 if other == "yellow" else 0)
    expect(score_line(page)).to_contain_text(" Computer")
    screenshot(page, f"{size}-computer-rematch.png")

