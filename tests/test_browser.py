"""End-to-end tests: real browsers play Connect Four against the real server.

Each player and spectator gets their own browser context, which is as good as
a separate browser: no shared storage, no shared tabs. The tests check what a
user would notice on screen: checkers, the status line, links.

"""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from connect4 import COLUMNS, ROWS, Connect4

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # Reported by the browser fixture, which knows to skip.
    expect = sync_playwright = None


ROOT = Path(__file__).absolute().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STARTUP_TIMEOUT = 20  # seconds, for the server to print its address
WAIT = 5_000  # milliseconds, for anything to show up in a page
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# Seven columns in this order, six times over, fill the board with no four in
# a row; test_drawn_sequence_is_a_draw checks it with the engine.
DRAWN_GAME = [0, 5, 3, 1, 6, 4, 2] * 6

# Red stacks four in column 0 while yellow stacks three in column 1.
RED_WINS = [0, 1, 0, 1, 0, 1, 0]


def unavailable(reason):
    """Skip when a browser can't run here, but never silently on CI."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------
# Fixtures


def start_app():
    """Start app.py on free ports; return the process and the page's URL."""
    process = subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", "0", "--http-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = queue.Queue()
    errors = []

    # Both pipes are drained for the whole run, so that a chatty server can
    # never block on a full pipe.
    def drain(stream, sink):
        for line in stream:
            sink(line)
        if stream is process.stdout:
            lines.put(None)

    threading.Thread(target=drain, args=(process.stdout, lines.put), daemon=True).start()
    threading.Thread(target=drain, args=(process.stderr, errors.append), daemon=True).start()

    try:
        line = lines.get(timeout=STARTUP_TIMEOUT)
    except queue.Empty:
        line = None
    match = re.search(r"(http://\S+?/)", line or "")
    if match is None:
        process.kill()
        process.wait()
        pytest.fail(
            f"app.py didn't print its address; first line {line!r}, "
            f"stderr:\n{''.join(errors)}",
            pytrace=False,
        )
    return process, match.group(1)


def stop_app(process):
    """Stop app.py the way a service manager would, and check it agrees."""
    process.send_signal(signal.SIGTERM)
    try:
        returncode = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("app.py didn't exit within 10 seconds of SIGTERM", pytrace=False)
    assert returncode == 0, f"app.py exited with {returncode} on SIGTERM"


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        unavailable("the playwright package isn't installed")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} isn't installed")
    expect.set_options(timeout=WAIT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(browser):
    # Depends on browser so that the server isn't started when tests skip.
    process, url = start_app()
    yield url
    stop_app(process)


@pytest.fixture
def open_page(browser, app_url):
    """Open the game in a fresh browser context: a new user, in effect.

    A page must never show a window dialog nor throw an uncaught error; both
    are recorded and checked once the test is done.

    """
    contexts = []
    problems = []

    def open_page(path="", *, base=None, viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT)

        def on_dialog(dialog):
            problems.append(f"{dialog.type} dialog: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
        page.goto(urljoin(base or app_url, path))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems == [], problems


@pytest.fixture(scope="module", autouse=True)
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)


# ---------------------------------------------------------------------------
# Helpers


def status(page):
    return page.locator(".status")


def column(page, index):
    return page.locator(f'.board .column[data-column="{index}"]')


def cell(page, index, row):
    """The cell at column index, row; row 0 is the bottom row."""
    return column(page, index).locator(".cell").nth(ROWS - 1 - row)


def board_on_screen(page):
    """Every cell's state as [column][row], row 0 at the bottom."""
    return page.locator(".board").evaluate(
        """board => Array.from(board.querySelectorAll(".column"), column =>
            Array.from(column.querySelectorAll(".cell"), cell =>
                ["empty", "red", "yellow"].filter(state => cell.classList.contains(state)).join(" ")
            ).reverse()
        )"""
    )


def expected_board(columns):
    """The board after playing columns in order, computed by the engine."""
    game = Connect4()
    board = [["empty"] * ROWS for _ in range(COLUMNS)]
    for index in columns:
        player = game.next_player
        row = game.play(player, index)
        board[index][row] = player
    return board


def wait_for_moves(page, count):
    """Wait until the page shows count checkers."""
    expect(page.locator(".board .cell:not(.empty)")).to_have_count(count)


def play_game(columns, red, yellow, watchers=(), *, already=0):
    """Click each column in turn on the right page, one move at a time.

    Each player clicks only once their page shows the previous move, as a
    person would; then every page must show the new checker.

    """
    for number, index in enumerate(columns, start=already):
        player = red if number % 2 == 0 else yellow
        wait_for_moves(player, number)
        column(player, index).click()
        for page in (red, yellow, *watchers):
            wait_for_moves(page, number + 1)


def link_key(page, selector, parameter):
    href = page.locator(selector).get_attribute("href")
    return parse_qs(urlsplit(href).query)[parameter][0]


def start_game(open_page, *, red_viewport=DESKTOP, **red_options):
    """Red opens the page and yellow follows the join link from it."""
    red = open_page(viewport=red_viewport, **red_options)
    expect(red.locator(".actions a.join")).to_have_attribute("href", re.compile(r"\?join="))
    yellow = open_page(red.locator(".actions a.join").get_attribute("href"), base=red.url)
    expect(status(yellow)).to_contain_text("You are yellow")
    expect(status(red)).not_to_contain_text("Waiting for yellow")
    return red, yellow


def watch_game(open_page, red):
    spectator = open_page(red.locator(".actions a.watch").get_attribute("href"), base=red.url)
    expect(status(spectator)).to_contain_text("spectator")
    return spectator


def assert_board_fits(page, viewport):
    box = page.locator(".board").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] + box["height"] <= viewport["height"], box
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], f"the page scrolls sideways: {scroll_width}px"


def screenshot(page, name):
    # Headless Chromium barely advances animations in a page that isn't in
    # front, so bring it there and let every checker land in its hole.
    page.bring_to_front()
    page.wait_for_function(
        "document.getAnimations().every(animation => animation.playState !== 'running')"
    )
    page.screenshot(path=ARTIFACTS / name, animations="disabled")


# ---------------------------------------------------------------------------
# Tests


def test_drawn_sequence_is_a_draw():
    game = Connect4()
    for index in DRAWN_GAME:
        game.play(game.next_player, index)
    assert game.draw


def test_red_sees_an_empty_board_and_an_invitation(open_page):
    red = open_page(permissions=["clipboard-read", "clipboard-write"])

    expect(status(red)).to_contain_text("You are red")
    expect(status(red)).to_contain_text(re.compile(r"waiting for yellow", re.I))
    expect(status(red)).to_have_attribute("aria-live", "polite")

    columns = red.locator(".board .column")
    expect(columns).to_have_count(COLUMNS)
    for index in range(COLUMNS):
        expect(columns.nth(index)).to_have_attribute("data-column", str(index))
        expect(columns.nth(index)).to_have_attribute("tabindex", "0")
        expect(columns.nth(index)).to_have_attribute("role", "button")
        expect(columns.nth(index).locator(".cell")).to_have_count(ROWS)
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
    expect(red.locator(".board .cell.red, .board .cell.yellow")).to_have_count(0)

    # The invitation is an absolute link to this game, displayed in full.
    invite = red.locator(".invite-link")
    expect(invite).to_be_visible()
    expect(invite).to_contain_text("?join=")
    invitation = invite.inner_text().strip()
    assert re.fullmatch(r"https?://[^\s/]+/\S*\?join=\S+", invitation), invitation
    expect(red.locator(".actions a.join")).to_have_attribute("href", re.compile(r"^\?join="))
    expect(red.locator(".actions a.watch")).to_have_attribute("href", re.compile(r"^\?watch="))
    join_key = link_key(red, ".actions a.join", "join")
    assert parse_qs(urlsplit(invitation).query)["join"] == [join_key]
    assert invite.evaluate("link => link.scrollWidth <= link.clientWidth")

    expect(red.locator(".actions a.watch")).to_be_visible()
    assert link_key(red, ".actions a.watch", "watch") != join_key
    assert red.locator(".actions a.new").get_attribute("href") in ("/", "./")
    expect(red.locator(".watch-link")).to_contain_text("?watch=")

    # Copying puts the whole link on the clipboard, and says so briefly.
    red.locator("button.copy").click()
    expect(red.locator("button.copy")).to_have_text("Copied!")
    assert red.evaluate("navigator.clipboard.readText()") == invitation
    expect(red.locator("button.copy")).to_have_text("Copy")


def test_copy_falls_back_to_selecting_the_link(open_page):
    # Pages opened over the LAN have no clipboard API: it needs HTTPS.
    red = open_page()
    red.evaluate("delete Navigator.prototype.clipboard")
    expect(red.locator(".invite-link")).to_contain_text("?join=")

    red.locator("button.copy").click()

    expect(red.locator("button.copy")).not_to_have_text("Copy")
    assert red.evaluate("getSelection().toString()") == red.locator(".invite-link").inner_text()


def test_a_wrong_join_link_is_explained(open_page):
    stranger = open_page("?join=no-such-game")
    expect(status(stranger)).to_contain_text("doesn't exist")
    expect(stranger.locator(".invite")).to_be_hidden()


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
    expect(status(red)).to_contain_text("Your turn")
    expect(status(yellow)).to_contain_text("Red's turn")

    play_game(RED_WINS, red, yellow, [spectator])

    board = expected_board(RED_WINS)
    for page in (red, yellow, spectator):
        expect(page.locator(".board .cell.red")).to_have_count(4)
        expect(page.locator(".board .cell.yellow")).to_have_count(3)
        assert board_on_screen(page) == board
    expect(status(red)).to_contain_text("You won!")
    expect(status(yellow)).to_contain_text("Red wins")
    expect(status(spectator)).to_contain_text("Red wins")
    screenshot(spectator, "finished.png")

    # The game is over: a click only earns an explanation.
    column(yellow, 2).click()
    expect(yellow.locator(".status .status-error")).to_be_visible()
    expect(status(yellow)).to_contain_text("Red wins")
    for page in (red, yellow, spectator):
        assert board_on_screen(page) == board


def test_move_out_of_turn_is_refused(open_page):
    red, yellow = start_game(open_page)
    dialogs = []
    for page in (red, yellow):
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    column(yellow, 3).click()
    expect(status(yellow)).to_contain_text(re.compile(r"(isn't|not) your turn", re.I))
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
    expect(yellow.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)

    # Red moves, then tries to move again before yellow.
    play_game([3], red, yellow)
    column(red, 4).click()
    expect(status(red)).to_contain_text(re.compile(r"(isn't|not) your turn", re.I))
    for page in (red, yellow):
        assert board_on_screen(page) == expected_board([3])
    assert dialogs == []

    # The next move clears the error.
    play_game([4], red, yellow, already=1)
    expect(red.locator(".status .status-error")).to_have_count(0)
    expect(status(red)).to_contain_text("Your turn")


def test_opponent_leaving_is_announced(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    play_game([3, 3], red, yellow, [spectator])

    red.context.close()

    expect(status(yellow)).to_contain_text("Red left")
    expect(status(spectator)).to_contain_text("Red left")


def test_keyboard_plays_columns(open_page):
    red, yellow = start_game(open_page)

    column(red, 3).focus()
    red.keyboard.press("Enter")
    expect(cell(red, 3, 0)).to_have_class(re.compile(r"\bred\b"))
    expect(cell(yellow, 3, 0)).to_have_class(re.compile(r"\bred\b"))

    # Digits 1 to 7 play columns 0 to 6.
    yellow.keyboard.press("5")
    expect(cell(yellow, 4, 0)).to_have_class(re.compile(r"\byellow\b"))
    expect(cell(red, 4, 0)).to_have_class(re.compile(r"\byellow\b"))

    # Arrows move between columns; Space plays like Enter.
    red.keyboard.press("ArrowRight")
    expect(column(red, 4)).to_be_focused()
    red.keyboard.press("Space")
    expect(cell(red, 4, 1)).to_have_class(re.compile(r"\bred\b"))
    yellow.keyboard.press("1")
    expect(cell(red, 0, 0)).to_have_class(re.compile(r"\byellow\b"))
    red.keyboard.press("ArrowLeft")
    red.keyboard.press("ArrowLeft")
    expect(column(red, 2)).to_be_focused()

    for page in (red, yellow):
        assert board_on_screen(page) == expected_board([3, 4, 4, 0])


def test_full_board_is_a_draw(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    play_game(DRAWN_GAME, red, yellow, [spectator])

    board = expected_board(DRAWN_GAME)
    for page in (red, yellow, spectator):
        expect(page.locator(".board .cell.empty")).to_have_count(0)
        expect(status(page)).to_contain_text("draw")
        assert board_on_screen(page) == board


def test_phone_shows_the_whole_board(open_page):
    red = open_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    expect(red.locator(".invite-link")).to_contain_text("?join=")
    assert_board_fits(red, PHONE)
    screenshot(red, "phone-invite.png")

    yellow = open_page(red.locator(".actions a.join").get_attribute("href"), base=red.url)
    expect(status(yellow)).to_contain_text("You are yellow")
    # Tapping is how a phone user plays.
    for number, index in enumerate([3, 3, 2, 4, 4]):
        player = red if number % 2 == 0 else yellow
        wait_for_moves(player, number)
        if player is red:
            column(red, index).tap()
        else:
            column(yellow, index).click()
        wait_for_moves(red, number + 1)

    expect(status(red)).to_contain_text("You are red")
    assert_board_fits(red, PHONE)
    screenshot(red, "phone.png")


def test_desktop_screenshot(open_page):
    red, yellow = start_game(open_page)
    play_game([3, 3, 4, 2, 5], red, yellow)
    expect(status(yellow)).to_contain_text("Your turn")
    assert_board_fits(yellow, DESKTOP)
    column(yellow, 6).hover()
    screenshot(yellow, "desktop.png")


def test_lost_connection_offers_to_reload(browser):
    # This test stops its own server, so that the others keep theirs.
    process, url = start_app()
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(url)
        expect(status(page)).to_contain_text("You are red")
        stop_app(process)
        expect(status(page)).to_contain_text("Connection lost")
        expect(status(page).get_by_role("button", name="Reload")).to_be_visible()
        screenshot(page, "connection-lost.png")
    finally:
        context.close()
        if process.poll() is None:
            process.kill()
            process.wait()
