"""page/rules.js: what the page works out from the moves it was sent.

The server says who won, never where, and refuses a move into a full column
only once it is sent; the page finds the four and the full columns from the
moves in its state. After a reload, that state is all the page has: a new
page, its board drawn anew from the server's replay.

"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import MS, RED_WINS_DIAGONAL, AppProcess
from connect4 import COLUMNS, ROWS

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # Reported by the browser fixture, which knows to skip.
    expect = sync_playwright = None


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT = 5000 * MS * 1000  # milliseconds, for anything to show up in a page

# The four in a row of RED_WINS_DIAGONAL, as (column, row), row 0 at the bottom.
DIAGONAL = [(1, 0), (2, 1), (3, 2), (4, 3)]


@pytest.fixture(scope="module")
def browser():
    reason = None
    if sync_playwright is None:
        reason = "the playwright package isn't installed"
    elif not CHROMIUM.exists():
        reason = f"{CHROMIUM} isn't installed"
    if reason is not None and os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    if reason is not None:
        pytest.skip(reason)
    expect.set_options(timeout=WAIT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(browser):
    # Depends on browser so that the server isn't started when tests skip.
    app = AppProcess("--computer-delay", "0")
    yield app.url
    returncode, log = app.stop()
    assert returncode == 0, f"app.py exited with {returncode} on SIGTERM:\n{log}"


@pytest.fixture
def open_page(browser, app_url):
    """Open a path of the game in a fresh browser context: a new user.

    A page must never throw an uncaught error; that is checked once the test
    is done.

    """
    contexts = []
    errors = []

    def open_page(path=""):
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(app_url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


def status(page):
    return page.locator(".status")


def cell(page, column, row):
    """The cell at column, row; row 0 is the bottom row."""
    return page.locator(f'.board .column[data-column="{column}"] .cell').nth(ROWS - 1 - row)


def winning_cells(page):
    """The cells marked as the winning four, as (column, row)."""
    return page.locator(".board").evaluate(
        """board => Array.from(board.querySelectorAll(".cell.winning"), cell => [
            Number(cell.closest(".column").dataset.column), Number(cell.dataset.row),
        ])"""
    )


def wait_for_moves(page, count):
    expect(page.locator(".board .cell:not(.empty)")).to_have_count(count)


def start_game(open_page):
    """Red opens the page and yellow follows the invitation from it."""
    red = open_page()
    invitation = red.locator('.share[data-kind="invite"] .share-link')
    expect(invitation).to_contain_text("?join=")
    yellow = open_page(f"?{urlsplit(invitation.text_content()).query}")
    expect(status(yellow)).to_contain_text("You are yellow")
    return red, yellow


def play_game(columns, red, yellow):
    """Each player clicks in turn, once their page shows the previous move."""
    for number, column in enumerate(columns):
        player = red if number % 2 == 0 else yellow
        wait_for_moves(player, number)
        player.locator(f'.board .column[data-column="{column}"]').click()
        for page in (red, yellow):
            wait_for_moves(page, number + 1)


def test_the_winning_four_are_shown_again_after_a_reload(open_page):
    red, yellow = start_game(open_page)
    play_game(RED_WINS_DIAGONAL, red, yellow)
    expect(red.locator(".board .cell.winning")).to_have_count(4)
    assert sorted(winning_cells(red)) == sorted(map(list, DIAGONAL))

    # A player who reloads, and a spectator who comes after the game, see
    # the same four: the page found them in the moves the server replayed.
    red.reload()
    expect(red.locator(".status-headline")).to_have_text("You won!")
    wait_for_moves(red, len(RED_WINS_DIAGONAL))
    expect(red.locator(".board .cell.winning")).to_have_count(4)
    for column, row in DIAGONAL:
        expect(cell(red, column, row)).to_have_class(re.compile(r"\bwinning\b"))
    watch = red.locator('.share[data-kind="watch"] .share-link')
    expect(watch).to_contain_text("?watch=")
    spectator = open_page(f"?{urlsplit(watch.text_content()).query}")
    expect(spectator.locator(".status-headline")).to_have_text("Red wins!")
    expect(spectator.locator(".board .cell.winning")).to_have_count(4)
    assert sorted(winning_cells(spectator)) == sorted(map(list, DIAGONAL))


def test_a_full_column_is_refused_after_a_reload(open_page):
    red, yellow = start_game(open_page)
    play_game([0] * ROWS, red, yellow)

    red.reload()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, ROWS)
    red.locator('.board .column[data-column="0"]').click()
    # The page's own words: the server, had the move reached it, would have
    # answered "This column is full."
    expect(status(red)).to_contain_text("That column is full.")
    wait_for_moves(yellow, ROWS)

    # Any other column is played as usual.
    red.keyboard.press(str(COLUMNS))
    for page in (red, yellow):
        wait_for_moves(page, ROWS + 1)
        expect(cell(page, COLUMNS - 1, 0)).to_have_class(re.compile(r"\bred\b"))
