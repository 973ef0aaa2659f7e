"""End-to-end tests: real browsers play Connect Four against the real server.

Each player and spectator gets their own browser context, which is as good as
a separate browser: no shared storage, no shared tabs. The tests check what a
user would notice on screen: checkers, the status line, links.

"""

import json
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

# Red wins on the rising diagonal from column 1 to column 4, in 11 moves.
RED_WINS_DIAGONAL = [1, 2, 2, 3, 4, 3, 3, 4, 5, 4, 4]

# Where the page keeps its seat token (see main.js).
SEAT_KEY = "connect4.seat"


def unavailable(reason):
    """Skip when a browser can't run here, but never silently on CI."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------
# Fixtures


def start_app(port=0, http_port=0):
    """Start app.py, on free ports unless told; return the process and the page's URL."""
    process = subprocess.Popen(
        [
            sys.executable, "app.py", "--host", "127.0.0.1",
            "--port", str(port), "--http-port", str(http_port),
        ],
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

    def open_page(
        path="", *, base=None, viewport=DESKTOP, context=None, paused_clock=False,
        init_script=None, before_goto=None, **options,
    ):
        """Open path in a new context, or in another tab of context.

        With paused_clock, the page's timers only fire when the test runs the
        clock (context.clock.run_for), so that a test decides when a page
        that reconnects by itself tries again. before_goto, if given, is
        called with the page before it loads.

        """
        if context is None:
            context = browser.new_context(viewport=viewport, **options)
            contexts.append(context)
            if paused_clock:
                context.clock.install(time=0)
                context.clock.pause_at(1_000)
        page = context.new_page()
        page.set_default_timeout(WAIT)
        if init_script is not None:
            page.add_init_script(init_script)
        if before_goto is not None:
            before_goto(page)

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


def stored_seat(page):
    """The seat that the page keeps in sessionStorage, or None."""
    return page.evaluate(f"JSON.parse(sessionStorage.getItem({json.dumps(SEAT_KEY)}))")


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
    # front; "disabled" fast-forwards every falling checker into its hole.
    page.bring_to_front()
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


def test_finished_game_offers_a_rematch(open_page):
    red, yellow = start_game(open_page)
    play_game(RED_WINS_DIAGONAL, red, yellow)

    expect(status(red)).to_contain_text("You won!")
    expect(status(yellow)).to_contain_text("Red wins")
    for page in (red, yellow):
        expect(page.locator("button.rematch")).to_have_text("Rematch")
        expect(page.locator("button.rematch")).to_be_enabled()
    expect(red.locator(".score")).to_contain_text("You 1 – 0 Opponent")
    expect(yellow.locator(".score")).to_contain_text("You 0 – 1 Opponent")
    expect(red.locator(".board .cell.winning")).to_have_count(4)
    assert_board_fits(red, DESKTOP)
    screenshot(red, "finished-desktop.png")


def test_rematch_on_a_phone(open_page):
    red, yellow = start_game(
        open_page, red_viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    play_game(RED_WINS_DIAGONAL, red, yellow)
    rematch = red.locator("button.rematch")
    expect(rematch).to_be_visible()
    # The button is on screen with the whole board: no scrolling to find it.
    assert_board_fits(red, PHONE)
    box = rematch.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], box
    screenshot(red, "phone-finished.png")

    yellow.locator("button.rematch").click()
    expect(yellow.locator("button.rematch")).to_be_disabled()
    expect(yellow.locator("button.rematch")).to_have_text("Waiting for opponent…")
    expect(status(red)).to_contain_text("Yellow wants a rematch")
    expect(rematch).to_have_text("Accept rematch")
    screenshot(red, "phone-rematch-asked.png")

    rematch.tap()
    for page in (red, yellow):
        expect(page.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
        expect(page.locator("button.rematch")).to_be_hidden()
    expect(status(red)).to_contain_text("You are yellow")
    expect(red.locator(".score")).to_contain_text("You 1 – 0 Opponent")
    expect(status(yellow)).to_contain_text("You are red")
    expect(status(yellow)).to_contain_text("Your turn")
    assert_board_fits(red, PHONE)
    screenshot(red, "phone-rematch.png")


def test_reloads_then_a_rematch(open_page):
    # The scenario: both players reload mid-game and play on, then
    # play again at the same links, colours swapped.
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    everyone = (red, yellow, spectator)
    play_game(RED_WINS[:3], red, yellow, [spectator])

    yellow.reload()
    expect(status(yellow)).to_contain_text("You are yellow")
    wait_for_moves(yellow, 3)
    assert board_on_screen(yellow) == expected_board(RED_WINS[:3])
    play_game(RED_WINS[3:4], red, yellow, [spectator], already=3)

    red.reload()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 4)
    assert board_on_screen(red) == expected_board(RED_WINS[:4])
    play_game(RED_WINS[4:], red, yellow, [spectator], already=4)

    board = expected_board(RED_WINS)
    for page in everyone:
        expect(page.locator(".board .cell.winning")).to_have_count(4)
        assert board_on_screen(page) == board
    expect(status(red)).to_contain_text("You won!")
    expect(status(yellow)).to_contain_text("Red wins")
    expect(status(spectator)).to_contain_text("Red wins")
    # The seat tokens stayed out of the address bar.
    for page in (red, yellow):
        assert stored_seat(page)["token"] not in page.url

    # Red asks first; yellow and the spectator see it.
    red.locator("button.rematch").click()
    expect(red.locator("button.rematch")).to_have_text("Waiting for opponent…")
    expect(red.locator("button.rematch")).to_be_disabled()
    screenshot(red, "rematch-waiting.png")
    for page in (yellow, spectator):
        expect(status(page)).to_contain_text("Red wants a rematch")
    expect(yellow.locator("button.rematch")).to_have_text("Accept rematch")
    expect(spectator.locator("button.rematch")).to_be_hidden()
    screenshot(yellow, "rematch-asked.png")

    yellow.locator("button.rematch").click()
    for page in everyone:
        expect(page.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
        expect(page.locator("button.rematch")).to_be_hidden()
    expect(status(yellow)).to_contain_text("You are red")
    expect(status(red)).to_contain_text("You are yellow")
    # The score is by the colours players have now.
    expect(red.locator(".score")).to_contain_text("You 1 – 0 Opponent")
    expect(yellow.locator(".score")).to_contain_text("You 0 – 1 Opponent")
    expect(spectator.locator(".score")).to_contain_text("Red 0 – 1 Yellow")

    # Who was yellow starts the rematch, and everyone sees the move.
    play_game([3], yellow, red, [spectator])
    for page in everyone:
        expect(cell(page, 3, 0)).to_have_class(re.compile(r"\bred\b"))
    screenshot(red, "rematch-score.png")

    # A reload in the rematch keeps the new colour, the board and the score.
    yellow.reload()
    expect(status(yellow)).to_contain_text("You are red")
    expect(yellow.locator(".score")).to_contain_text("You 0 – 1 Opponent")
    wait_for_moves(yellow, 1)
    expect(cell(yellow, 3, 0)).to_have_class(re.compile(r"\bred\b"))
    play_game([3], yellow, red, [spectator], already=1)


def test_the_opponent_sees_yellow_leave_and_come_back(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    play_game([3], red, yellow, [spectator])

    # Yellow goes to another page in the same tab, then comes back.
    address = yellow.url
    yellow.goto("about:blank")
    for page in (red, spectator):
        expect(status(page)).to_contain_text("Yellow left.")
    yellow.goto(address)
    expect(status(yellow)).to_contain_text("You are yellow")
    expect(status(yellow)).to_contain_text("Your turn")
    for page in (red, spectator):
        expect(status(page)).to_contain_text("Yellow is back.")
        expect(status(page)).not_to_contain_text("left")

    # The news lasts until the next move.
    play_game([3], red, yellow, [spectator], already=1)
    expect(status(red)).not_to_contain_text("is back")

    # A reload is over in a moment: record what red's status line says.
    red.evaluate(
        """() => {
            const status = document.querySelector(".status");
            window.statusHistory = [];
            new MutationObserver(() => window.statusHistory.push(status.textContent))
                .observe(status, { childList: true, subtree: true, characterData: true });
        }"""
    )
    yellow.reload()
    expect(status(red)).to_contain_text("Yellow is back.")
    history = red.evaluate("window.statusHistory")
    assert any("Yellow left." in text for text in history), history
    expect(status(yellow)).to_contain_text("You are yellow")
    wait_for_moves(yellow, 2)


def test_server_shutdown_then_a_new_server(open_page):
    # This test stops its own server, so that the others keep theirs.
    process, url = start_app()
    try:
        # Paused clocks: the pages retry when the test says, not on their own.
        red = open_page(base=url, paused_clock=True)
        expect(red.locator(".actions a.join")).to_have_attribute("href", re.compile(r"\?join="))
        yellow = open_page(
            red.locator(".actions a.join").get_attribute("href"), base=url, paused_clock=True
        )
        spectator = open_page(
            red.locator(".actions a.watch").get_attribute("href"), base=url, paused_clock=True
        )
        expect(status(spectator)).to_contain_text("spectator")
        play_game([3, 4], red, yellow, [spectator])

        stop_app(process)
        for page in (red, yellow, spectator):
            expect(status(page)).to_contain_text("The server went away")
            expect(status(page)).to_contain_text("Reconnecting")
            expect(status(page).get_by_role("button", name="Reconnect now")).to_be_visible()
        screenshot(red, "reconnecting.png")

        # While the server is down, attempts fail and the page keeps trying.
        red.context.clock.run_for(2_000)
        expect(status(red)).to_contain_text("The server went away")
        expect(status(red).get_by_role("button", name="Reconnect now")).to_be_visible()

        # A new server on the same ports knows nothing of the game.
        websocket_port = red.locator('meta[name="websocket"]').get_attribute("content")
        process, _ = start_app(
            port=int(websocket_port.removeprefix(":")), http_port=urlsplit(url).port
        )
        for page in (red, yellow, spectator):
            status(page).get_by_role("button", name="Reconnect now").click()
            expect(status(page)).to_contain_text("This game no longer exists")
            expect(status(page)).to_contain_text("may have restarted")
            expect(status(page).get_by_role("button", name="New game")).to_be_visible()
        screenshot(red, "game-gone.png")
        # The dead token is gone: the next page load won't present it again.
        assert stored_seat(red) is None
        assert stored_seat(yellow) is None

        status(yellow).get_by_role("button", name="New game").click()
        expect(status(yellow)).to_contain_text("You are red")
        expect(status(yellow)).to_contain_text(re.compile(r"waiting for yellow", re.I))
        assert urlsplit(yellow.url).query == ""
    finally:
        if process.poll() is None:
            stop_app(process)


def test_a_duplicated_tab_takes_the_seat_over(open_page):
    red = open_page(paused_clock=True)
    expect(red.locator(".actions a.join")).to_have_attribute("href", re.compile(r"\?join="))
    yellow = open_page(red.locator(".actions a.join").get_attribute("href"), base=red.url)
    expect(status(yellow)).to_contain_text("You are yellow")
    play_game([2, 3], red, yellow)

    # A second tab of the same browser with the same seat, as "Duplicate tab" does.
    seat = red.evaluate(f"sessionStorage.getItem({json.dumps(SEAT_KEY)})")
    twin = open_page(
        base=red.url,
        context=red.context,
        init_script=f"sessionStorage.setItem({json.dumps(SEAT_KEY)}, {json.dumps(seat)})",
    )
    expect(status(twin)).to_contain_text("You are red")
    wait_for_moves(twin, 2)
    expect(status(red)).to_contain_text("This game continued in another tab.")
    expect(status(red).get_by_role("button", name="Play here")).to_be_visible()
    screenshot(red, "another-tab.png")
    # The opponent saw no one leave.
    expect(status(yellow)).not_to_contain_text("left")

    # However long it waits, the first tab doesn't take the seat back.
    red.context.clock.run_for(60_000)
    expect(status(red)).to_have_attribute("data-state", "stopped")
    expect(status(red)).to_contain_text("This game continued in another tab.")
    play_game([2], twin, yellow, already=2)
    expect(status(twin)).not_to_contain_text("another tab")

    # Until the user says so.
    status(red).get_by_role("button", name="Play here").click()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 3)
    expect(status(twin)).to_contain_text("This game continued in another tab.")


def test_a_connection_closed_for_flooding_is_not_retried(open_page):
    red = open_page(paused_clock=True)
    expect(status(red)).to_contain_text("You are red")

    # A hundred key presses at once: far more than people make.
    red.evaluate(
        """() => {
            for (let i = 0; i < 100; i++) {
                document.dispatchEvent(new KeyboardEvent("keydown", { key: "1" }));
            }
        }"""
    )
    expect(status(red)).to_contain_text("The server closed the connection (too many messages).")
    reconnect = status(red).get_by_role("button", name="Reconnect")
    expect(reconnect).to_be_visible()
    red.context.clock.run_for(60_000)
    expect(status(red)).to_have_attribute("data-state", "stopped")
    expect(reconnect).to_be_visible()

    # The user may try again; the game, and its first move, are still there.
    reconnect.click()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 1)
    expect(cell(red, 0, 0)).to_have_class(re.compile(r"\bred\b"))


def test_the_new_game_link_starts_a_new_game(open_page):
    red, yellow = start_game(open_page)
    play_game([3], red, yellow)
    join_key = link_key(red, ".actions a.join", "join")

    red.locator(".actions a.new").click()
    expect(status(red)).to_contain_text(re.compile(r"You are red.*waiting for yellow", re.I))
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
    expect(red.locator(".actions a.join")).not_to_have_attribute("href", re.compile(re.escape(join_key)))
    expect(status(yellow)).to_contain_text("Red left.")


def test_the_page_reconnects_by_itself_after_a_network_blip(open_page):
    red = open_page()
    expect(red.locator(".actions a.join")).to_have_attribute("href", re.compile(r"\?join="))
    yellow_link = red.locator(".actions a.join").get_attribute("href")

    # Yellow's connections pass through the test, which can cut them.
    connections = []

    def relay(websocket):
        connections.append((websocket, websocket.connect_to_server()))

    yellow = open_page(
        yellow_link,
        base=red.url,
        paused_clock=True,
        before_goto=lambda page: page.route_web_socket(re.compile(r"^wss?://"), relay),
    )
    expect(status(yellow)).to_contain_text("You are yellow")
    spectator = watch_game(open_page, red)
    play_game([3, 3], red, yellow, [spectator])

    to_page, to_server = connections[-1]
    to_server.close()
    to_page.close(code=1011, reason="network blip")
    expect(status(yellow)).to_contain_text("Connection lost. Reconnecting…")
    expect(status(yellow).get_by_role("button", name="Reconnect now")).to_be_visible()
    for page in (red, spectator):
        expect(status(page)).to_contain_text("Yellow left.")

    # Half a second later, the page gets its seat and the board back by itself.
    yellow.context.clock.run_for(500)
    expect(status(yellow)).to_contain_text("You are yellow")
    wait_for_moves(yellow, 2)
    assert len(connections) == 2
    for page in (red, spectator):
        expect(status(page)).to_contain_text("Yellow is back.")
    play_game([4, 4], red, yellow, [spectator], already=2)
    for page in (red, yellow, spectator):
        assert board_on_screen(page) == expected_board([3, 3, 4, 4])
