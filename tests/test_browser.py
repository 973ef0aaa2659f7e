"""End-to-end tests: real browsers play Connect Four against the real server.

Each player and spectator gets their own browser context, which is as good as
a separate browser: no shared storage, no shared tabs. The tests check what a
user would notice on screen: checkers, the status box, links, what a screen
reader hears, and that nothing on the first page moves or scrolls.

"""

import json
import os
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from conftest import DRAW, MS, RED_WINS, RED_WINS_DIAGONAL, YELLOW_WINS, AppProcess
from computer import levels
from connect4 import COLUMNS, ROWS, Connect4
from solver import Position

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
WAIT = 5000 * MS * 1000  # milliseconds, for anything to show up in a page
# The solver's slowest positions take seconds, more on a busy machine: the
# computer's moves and the analysis may take this long (see test_app.py).
SEARCH_WAIT = 60_000 * MS * 1000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
PHONE_OPTIONS = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

# Where the page keeps its seat token (see seat.js).
SEAT_KEY = "connect4.seat"

RED = "rgb(217, 48, 63)"
YELLOW = "rgb(245, 196, 49)"

# Installed in every page: records, at every change of the status box, where
# the board is and whether a line of the status is cut off; the fixture
# checks the record once the test is done.
RECORD_LAYOUT = """
addEventListener("DOMContentLoaded", () => {
    const status = document.querySelector(".status");
    const board = document.querySelector(".board");
    if (status === null || board === null) {
        return;  // not the game's page
    }
    window.layoutLog = [];
    const record = () => window.layoutLog.push({
        text: status.textContent,
        top: board.getBoundingClientRect().top + scrollY,
        clipped: Array.from(
            status.querySelectorAll(".status-headline, .status-detail-text"),
        ).filter((line) => line.scrollWidth > line.clientWidth + 1).map((line) => line.textContent),
    });
    record();
    new MutationObserver(record).observe(status, { childList: true, subtree: true, characterData: true });
});
"""

# Gives the page an address for the network, as app.py does when it serves the
# page on every interface: the page's scripts run once it is parsed, after
# the tag is set here.
LAN_ADDRESS = """
document.addEventListener("readystatechange", () => {
    if (document.readyState === "interactive") {
        document.querySelector('meta[name="invite-origin"]').content = "http://192.0.2.7:8000";
    }
});
"""

# Defines the share sheet, as phones have it, and records what it's given.
FAKE_SHARE_SHEET = """
window.sharedData = [];
navigator.share = async (data) => { window.sharedData.push(data); };
"""


def unavailable(reason):
    """Skip when a browser can't run here, but never silently on CI."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------
# Fixtures


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


def stop_app(app):
    """Stop app.py the way a service manager would, and check it agrees."""
    returncode, log = app.stop()
    assert returncode == 0, f"app.py exited with {returncode} on SIGTERM:\n{log}"


@pytest.fixture(scope="module")
def app_url(browser):
    # Depends on browser so that the server isn't started when tests skip.
    # The computer moves at once: tests that need to see it think say so.
    app = AppProcess("--computer-delay", "0")
    yield app.url
    stop_app(app)


@pytest.fixture
def open_page(browser, app_url):
    """Open the game in a fresh browser context: a new user, in effect.

    A page must never show a window dialog nor throw an uncaught error, and
    its board must never move nor its status box cut a line short; all are
    recorded and checked once the test is done.

    """
    contexts = []
    pages = []
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
        pages.append(page)
        page.set_default_timeout(WAIT)
        page.add_init_script(RECORD_LAYOUT)
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
    for page in pages:
        if not page.is_closed() and page.url.startswith("http"):
            problems.extend(layout_problems(page))
    for context in contexts:
        context.close()
    assert problems == [], problems


def layout_problems(page):
    """What moved the board, or didn't fit the status box, since the page loaded."""
    log = page.evaluate("window.layoutLog ?? []")
    problems = []
    tops = {round(entry["top"], 1) for entry in log}
    if len(tops) > 1:
        moves = [(entry["text"], entry["top"]) for entry in log]
        problems.append(f"the board moved as the status changed: {moves}")
    for entry in log:
        if entry["clipped"]:
            problems.append(f"the status box cut off {entry['clipped']}")
    return problems


@pytest.fixture(scope="module", autouse=True)
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)


# ---------------------------------------------------------------------------
# Helpers


def status(page):
    return page.locator(".status")


def headline(page):
    return page.locator(".status-headline")


def announcer(page):
    return page.locator(".announcer")


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


def shared_link(page, kind):
    """The link that the page offers to share: "invite" or "watch"."""
    link = page.locator(f'.share[data-kind="{kind}"] .share-link')
    expect(link).to_contain_text(f"?{'join' if kind == 'invite' else 'watch'}=")
    return link.text_content()


def start_game(open_page, *, red_options=None, yellow_options=None):
    """Red opens the page and yellow follows the invitation from it."""
    red = open_page(**(red_options or {}))
    yellow = open_page(here(red, shared_link(red, "invite")), **(yellow_options or {}))
    expect(status(yellow)).to_contain_text("You are yellow")
    expect(status(red)).not_to_contain_text("Your friend")
    return red, yellow


def here(page, link):
    """A shared link's key at the page's own address, which the link may not
    name: with LAN_ADDRESS, it names an address that the tests can't reach."""
    return f"{page.url.split('?')[0]}?{urlsplit(link).query}"


def watch_game(open_page, red, **options):
    spectator = open_page(here(red, shared_link(red, "watch")), **options)
    expect(status(spectator)).to_contain_text("You are watching")
    return spectator


def visible_new_game_controls(page):
    return page.get_by_role("button", name="New game").or_(
        page.get_by_role("link", name="New game")
    ).filter(visible=True)


def assert_first_page_fits(page, viewport):
    """The whole page is on screen: no scrolling, either way."""
    box = page.locator(".board").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] + box["height"] <= viewport["height"], box
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert width <= viewport["width"], f"the page scrolls sideways: {width}px"
    assert height <= viewport["height"], f"the page scrolls down: {height}px"


def screenshot(page, name):
    # Headless Chromium barely advances animations in a page that isn't in
    # front; "disabled" fast-forwards every falling checker into its hole.
    page.bring_to_front()
    page.screenshot(path=ARTIFACTS / name, animations="disabled")


def pixel(page, x, y):
    """The colour at (x, y) on screen, as (r, g, b), with animations finished."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}, animations="disabled")
    # A 1×1 PNG: whatever its filter, the pixel's bytes follow the filter byte.
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return tuple(zlib.decompress(data)[1:4])


def distance(colour, other):
    return sum((a - b) ** 2 for a, b in zip(colour, other)) ** 0.5


# ---------------------------------------------------------------------------
# Playing


def test_red_sees_an_empty_board_and_an_invitation(open_page):
    red = open_page(permissions=["clipboard-read", "clipboard-write"])

    expect(headline(red)).to_have_text("Your turn")
    expect(status(red)).to_contain_text("You are red. Your friend isn't here yet.")

    columns = red.locator(".board .column")
    expect(columns).to_have_count(COLUMNS)
    for index in range(COLUMNS):
        expect(columns.nth(index)).to_have_attribute("data-column", str(index))
        expect(columns.nth(index)).to_have_attribute("role", "button")
        expect(columns.nth(index)).to_have_attribute("aria-label", f"Column {index + 1}: empty")
        expect(columns.nth(index).locator(".cell")).to_have_count(ROWS)
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)

    # The invitation is an absolute link to this game, displayed in full on
    # a desktop, under a heading that names the colour the friend will play.
    share = red.locator(".share")
    expect(share.locator("h2")).to_have_text("Invite a friend to play yellow")
    invitation = shared_link(red, "invite")
    assert re.fullmatch(r"https?://[^\s/]+/\S*\?join=\S+", invitation), invitation
    assert share.locator(".share-link").evaluate("link => link.scrollWidth <= link.clientWidth")

    # Copying puts the whole link on the clipboard, and says so briefly.
    red.locator("button.copy").click()
    expect(red.locator("button.copy")).to_have_text("Copied!")
    assert red.evaluate("navigator.clipboard.readText()") == invitation
    expect(red.locator("button.copy")).to_have_text("Copy")
    assert_first_page_fits(red, DESKTOP)
    screenshot(red, "desktop-invite.png")


def test_copy_falls_back_to_selecting_the_link(open_page):
    # Pages opened over the LAN have no clipboard API: it needs HTTPS.
    red = open_page()
    red.evaluate("delete Navigator.prototype.clipboard")
    invitation = shared_link(red, "invite")

    red.locator("button.copy").click()

    expect(red.locator("button.copy")).not_to_have_text("Copy")
    assert red.evaluate("getSelection().toString()") == invitation


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

    board = expected_board(RED_WINS)
    for page in (red, yellow, spectator):
        expect(page.locator(".board .cell.winning")).to_have_count(4)
        assert board_on_screen(page) == board
    expect(headline(red)).to_have_text("You won!")
    expect(headline(yellow)).to_have_text("Red wins")
    expect(headline(spectator)).to_have_text("Red wins!")
    # The four are the four in column 0.
    for row in range(4):
        expect(cell(spectator, 0, row)).to_have_class(re.compile(r"\bwinning\b"))
    screenshot(spectator, "finished.png")

    # The game is over: a click only earns an explanation.
    column(yellow, 2).click()
    expect(status(yellow)).to_contain_text("The game is over.")
    expect(headline(yellow)).to_have_text("Red wins")
    for page in (red, yellow, spectator):
        assert board_on_screen(page) == board


def test_a_click_out_of_turn_explains_itself(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    column(yellow, 3).click()
    expect(status(yellow)).to_contain_text("It's red's turn.")
    column(spectator, 3).click()
    expect(status(spectator)).to_contain_text("Only the players can play.")
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)

    # Red moves, then tries to move again before yellow.
    play_game([3], red, yellow)
    column(red, 4).click()
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
    column(red, 0).click()
    expect(status(red)).to_contain_text("That column is full.")
    wait_for_moves(red, 6)


def test_keyboard_plays_columns_and_the_board_is_one_tab_stop(open_page):
    red, yellow = start_game(open_page)

    # Tab reaches the board once, in the middle column, and leaves it next.
    red.keyboard.press("Tab")
    expect(column(red, 3)).to_be_focused()
    expect(red.locator('.board [tabindex="0"]')).to_have_count(1)
    red.keyboard.press("Tab")
    assert red.evaluate("!document.querySelector('.board').contains(document.activeElement)")
    red.keyboard.press("Shift+Tab")
    expect(column(red, 3)).to_be_focused()
    red.keyboard.press("Enter")
    expect(cell(red, 3, 0)).to_have_class(re.compile(r"\bred\b"))
    expect(cell(yellow, 3, 0)).to_have_class(re.compile(r"\bred\b"))

    # Digits 1 to 7 play columns 0 to 6.
    yellow.keyboard.press("5")
    expect(cell(red, 4, 0)).to_have_class(re.compile(r"\byellow\b"))

    # Arrows move between columns, Home and End to the edges; Space plays.
    red.keyboard.press("ArrowRight")
    expect(column(red, 4)).to_be_focused()
    red.keyboard.press("Space")
    expect(cell(yellow, 4, 1)).to_have_class(re.compile(r"\bred\b"))
    yellow.keyboard.press("1")
    expect(cell(red, 0, 0)).to_have_class(re.compile(r"\byellow\b"))
    red.keyboard.press("End")
    expect(column(red, 6)).to_be_focused()
    red.keyboard.press("Home")
    expect(column(red, 0)).to_be_focused()
    red.keyboard.press("ArrowLeft")
    expect(column(red, 0)).to_be_focused()
    red.keyboard.press("ArrowRight")
    red.keyboard.press("ArrowRight")
    expect(column(red, 2)).to_be_focused()

    # Tab comes back to the column last chosen, still the only stop.
    red.keyboard.press("Tab")
    red.keyboard.press("Shift+Tab")
    expect(column(red, 2)).to_be_focused()
    expect(red.locator('.board [tabindex="0"]')).to_have_count(1)

    for page in (red, yellow):
        assert board_on_screen(page) == expected_board([3, 4, 4, 0])


def test_screen_readers_hear_moves_and_the_result(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    board = spectator.locator(".board")
    expect(board).to_have_attribute("role", "group")
    expect(board).to_have_accessible_name("Board")
    expect(announcer(spectator)).to_have_attribute("role", "status")

    play_game([3], red, yellow, [spectator])
    for page in (yellow, spectator):
        expect(announcer(page)).to_have_text("Red played column 4.")
    expect(column(spectator, 3)).to_have_accessible_name("Column 4: red; 5 free")

    play_game([3], red, yellow, [spectator], already=1)
    expect(announcer(spectator)).to_have_text("Yellow played column 4.")
    expect(column(spectator, 3)).to_have_accessible_name("Column 4: red, yellow; 4 free")

    play_game([0, 1, 0, 1, 0, 1, 0], red, yellow, [spectator], already=2)
    expect(announcer(spectator)).to_have_text("Red played column 1. Red wins!")
    expect(announcer(red)).to_have_text("Red played column 1. You won!")
    expect(announcer(yellow)).to_have_text("Red played column 1. Red wins.")


def test_full_board_is_a_draw(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    play_game(DRAW, red, yellow, [spectator])

    board = expected_board(DRAW)
    for page in (red, yellow, spectator):
        expect(page.locator(".board .cell.empty")).to_have_count(0)
        expect(headline(page)).to_have_text("It's a draw")
        assert board_on_screen(page) == board
    expect(spectator.locator(".score")).to_contain_text("Host 0 – 0 Guest · 1 draw")


# ---------------------------------------------------------------------------
# Seeing the game: whose turn, the last move, the result


def test_whose_turn_shows_from_across_the_room(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    def assert_turn(colour):
        for page in (red, yellow, spectator):
            board = page.locator(".board")
            expect(board).to_have_css("outline-color", colour)
            expect(board).to_have_css("outline-style", "solid")
            assert float(board.evaluate("b => parseFloat(getComputedStyle(b).outlineWidth)")) >= 4

    assert_turn(RED)
    # Your own turn: the status box takes your colour; not on the other's turn.
    expect(status(red)).to_have_class(re.compile(r"\bmy-turn\b"))
    expect(status(red)).not_to_have_css("background-color", "rgb(255, 253, 248)")
    expect(status(yellow)).not_to_have_class(re.compile(r"\bmy-turn\b"))
    expect(status(yellow)).to_have_css("background-color", "rgb(255, 253, 248)")
    screenshot(spectator, "turn-red.png")

    play_game([3], red, yellow, [spectator])
    assert_turn(YELLOW)
    expect(status(yellow)).to_have_class(re.compile(r"\bmy-turn\b"))
    expect(status(red)).not_to_have_class(re.compile(r"\bmy-turn\b"))
    screenshot(yellow, "turn-yellow.png")

    play_game([0, 4, 0, 4, 0, 4, 0], red, yellow, [spectator], already=1)
    expect(headline(spectator)).to_have_text("Yellow wins!")
    expect(spectator.locator(".board")).to_have_css("outline-style", "none")


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
    expect(red.locator(".board .cell.last")).to_have_count(1)
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
        expect(page.locator(".board .cell.winning")).to_have_count(4)
        assert page.evaluate("document.getAnimations().length") == 0


# ---------------------------------------------------------------------------
# Players, spectators and the links they're offered


def test_a_player_is_never_offered_a_link_out_of_its_seat(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    for page in (red, yellow):
        # The links to share are text to copy, not links to follow.
        expect(page.locator('a[href*="join="], a[href*="watch="]')).to_have_count(0)
        links = page.locator(".actions a").filter(visible=True)
        expect(links).to_have_count(1)
        expect(links).to_have_text("New game")
    expect(spectator.locator(".share")).to_be_hidden()
    expect(spectator.locator(".actions a").filter(visible=True)).to_have_text("New game")
    # After the friend came, players share the watch link.
    expect(red.locator(".share h2")).to_have_text("Anyone can watch at")
    expect(yellow.locator(".share h2")).to_have_text("Anyone can watch at")
    screenshot(yellow, "desktop-yellow.png")


def test_a_third_player_is_refused_with_one_next_step(open_page):
    red, yellow = start_game(open_page)
    play_game([3], red, yellow)
    stranger = open_page(yellow.url)

    expect(headline(stranger)).to_have_text("You can't join this game")
    message = stranger.locator(".board-message")
    expect(message).to_contain_text("This game already has two players.")
    expect(visible_new_game_controls(stranger)).to_have_count(1)
    expect(stranger.locator(".board")).to_have_attribute("inert", "")
    expect(stranger.locator(".share")).to_be_hidden()
    # The game goes on for its players.
    expect(headline(yellow)).to_have_text("Your turn")
    screenshot(stranger, "refused.png")

    stranger.get_by_role("button", name="New game").click()
    expect(headline(stranger)).to_have_text("Your turn")
    assert urlsplit(stranger.url).query == ""


def test_a_wrong_join_link_is_explained(open_page):
    stranger = open_page("?join=no-such-game", **PHONE_OPTIONS)
    expect(headline(stranger)).to_have_text("This game doesn't exist")
    expect(stranger.locator(".board-message")).to_contain_text("doesn't exist")
    expect(visible_new_game_controls(stranger)).to_have_count(1)
    # Keyboard users land on it.
    expect(stranger.get_by_role("button", name="New game")).to_be_focused()
    expect(stranger.locator(".share")).to_be_hidden()
    assert_first_page_fits(stranger, PHONE)
    screenshot(stranger, "phone-wrong-link.png")


def test_the_invitation_says_when_it_only_works_here(open_page, app_url):
    # The test server, like two-terminal mode, has no network address to
    # offer: a link naming 127.0.0.1 or localhost can't reach a friend.
    red = open_page()
    shared_link(red, "invite")
    note = red.locator(".share-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Only works on this computer: 127.0.0.1 is its own address.")
    expect(note).to_contain_text("python app.py")

    local = open_page(app_url.replace("127.0.0.1", "localhost"))
    assert shared_link(local, "invite").startswith("http://localhost:")
    expect(local.locator(".share-note")).to_contain_text("localhost is its own address")

    # With an address for the network, as app.py gives when it serves the
    # page on every interface, the link works for friends: no warning.
    lan = open_page(init_script=LAN_ADDRESS)
    assert shared_link(lan, "invite").startswith("http://192.0.2.7:8000/?join=")
    expect(lan.locator(".share-note")).to_be_hidden()


def test_phone_shows_the_whole_first_page(open_page):
    red = open_page(**PHONE_OPTIONS)
    invitation = shared_link(red, "invite")
    # The link is one line, not a block of characters; its buttons send it.
    link = red.locator(".share-link")
    height = link.evaluate("link => link.getBoundingClientRect().height")
    line = link.evaluate("link => parseFloat(getComputedStyle(link).lineHeight) || 20")
    assert height < 2 * line + 12, (height, line)
    expect(red.locator("button.copy")).to_be_visible()
    expect(red.locator("button.send")).to_be_hidden()  # this browser has no share sheet
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone-invite.png")

    yellow = open_page(invitation)
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
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone.png")


def test_a_phone_held_sideways_shows_the_whole_page(open_page):
    sideways = {"width": PHONE["height"], "height": PHONE["width"]}
    red, yellow = start_game(open_page, red_options={**PHONE_OPTIONS, "viewport": sideways})
    play_game([3], red, yellow)
    assert_first_page_fits(red, sideways)
    screenshot(red, "phone-sideways.png")


def test_phones_share_the_invitation_with_the_share_sheet(open_page):
    red = open_page(init_script=FAKE_SHARE_SHEET, **PHONE_OPTIONS)
    invitation = shared_link(red, "invite")
    send = red.get_by_role("button", name="Share")
    expect(send).to_be_visible()
    send.tap()
    red.wait_for_function("window.sharedData.length === 1")
    shared = red.evaluate("window.sharedData[0]")
    assert shared["url"] == invitation, shared
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone-share.png")


def test_no_status_moves_the_board_on_a_phone(open_page):
    # Every test checks this once it's done (see open_page); this one goes
    # through the longest things the status box says, on the narrowest screen.
    red, yellow = start_game(open_page, red_options=PHONE_OPTIONS, yellow_options=PHONE_OPTIONS)
    top = red.locator(".board").bounding_box()["y"]
    column(yellow, 3).click()
    expect(status(yellow)).to_contain_text("It's red's turn.")
    play_game([3], red, yellow)
    column(red, 3).click()
    expect(status(red)).to_contain_text("It's yellow's turn.")
    yellow.context.close()
    expect(status(red)).to_contain_text(re.compile(r"Their seat is held for \d+ s\."))
    column(red, 3).click()
    expect(status(red)).to_contain_text("Waiting for yellow to come back.")
    screenshot(red, "phone-opponent-left.png")
    assert red.locator(".board").bounding_box()["y"] == top
    texts = [entry["text"] for entry in red.evaluate("window.layoutLog")]
    assert len(set(texts)) >= 5, texts
    assert layout_problems(red) == []


def test_desktop_screenshot(open_page):
    red, yellow = start_game(open_page)
    play_game([3, 3, 4, 2, 5], red, yellow)
    expect(headline(yellow)).to_have_text("Your turn")
    assert_first_page_fits(yellow, DESKTOP)
    column(yellow, 6).hover()
    screenshot(yellow, "desktop.png")


# ---------------------------------------------------------------------------
# Rematches and the score


def test_finished_game_offers_a_rematch(open_page):
    red, yellow = start_game(open_page, red_options={"init_script": LAN_ADDRESS})
    spectator = watch_game(open_page, red)
    play_game(RED_WINS_DIAGONAL, red, yellow, [spectator])

    expect(headline(red)).to_have_text("You won!")
    expect(headline(yellow)).to_have_text("Red wins")
    for page in (red, yellow):
        expect(page.locator("button.rematch")).to_have_text("Rematch")
        expect(page.locator("button.rematch")).to_be_enabled()
    expect(red.locator(".score")).to_contain_text("You 1 – 0 Opponent")
    expect(yellow.locator(".score")).to_contain_text("You 0 – 1 Opponent")
    expect(spectator.locator(".score")).to_contain_text("Host 1 – 0 Guest")
    expect(red.locator(".board .cell.winning")).to_have_count(4)
    assert_first_page_fits(red, DESKTOP)
    # The README's picture, docs/screenshot.png: a won game, its four marked.
    red.mouse.move(0, 0)
    screenshot(red, "finished-desktop.png")


def test_rematch_on_a_phone(open_page):
    red, yellow = start_game(open_page, red_options=PHONE_OPTIONS, yellow_options=PHONE_OPTIONS)
    play_game(RED_WINS_DIAGONAL, red, yellow)
    rematch = red.locator("button.rematch")
    expect(rematch).to_be_visible()
    # The button is on screen with the whole board: no scrolling to find it.
    screenshot(red, "phone-finished.png")
    assert_first_page_fits(red, PHONE)

    yellow.locator("button.rematch").click()
    expect(yellow.locator("button.rematch")).to_be_disabled()
    expect(yellow.locator("button.rematch")).to_have_text("Waiting for opponent…")
    expect(status(red)).to_contain_text("Yellow wants a rematch")
    expect(rematch).to_have_text("Accept rematch")
    screenshot(red, "phone-rematch-asked.png")
    screenshot(yellow, "phone-rematch-waiting.png")
    assert_first_page_fits(red, PHONE)
    assert_first_page_fits(yellow, PHONE)

    rematch.tap()
    for page in (red, yellow):
        expect(page.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
        expect(page.locator("button.rematch")).to_be_hidden()
    expect(status(red)).to_contain_text("You are yellow")
    expect(red.locator(".score")).to_contain_text("You 1 – 0 Opponent")
    expect(status(yellow)).to_contain_text("You are red")
    expect(headline(yellow)).to_have_text("Your turn")
    assert_first_page_fits(red, PHONE)
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
    expect(spectator.locator(".score")).to_contain_text("Host 1 – 0 Guest")
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
    # The score is by player: it doesn't flip for anyone when colours do.
    expect(red.locator(".score")).to_contain_text("You 1 – 0 Opponent")
    expect(yellow.locator(".score")).to_contain_text("You 0 – 1 Opponent")
    expect(spectator.locator(".score")).to_contain_text("Host 1 – 0 Guest")
    expect(spectator.locator(".score .score-side.yellow")).to_have_text("Host")

    # Who was yellow starts the rematch, and everyone sees the move.
    play_game([3], yellow, red, [spectator])
    for page in everyone:
        expect(cell(page, 3, 0)).to_have_class(re.compile(r"\bred\b"))
    screenshot(red, "rematch-score.png")

    # A reload in the rematch keeps the new colour, the board and the score,
    # and so does a spectator who arrives now.
    yellow.reload()
    expect(status(yellow)).to_contain_text("You are red")
    expect(yellow.locator(".score")).to_contain_text("You 0 – 1 Opponent")
    wait_for_moves(yellow, 1)
    expect(cell(yellow, 3, 0)).to_have_class(re.compile(r"\bred\b"))
    latecomer = watch_game(open_page, red)
    expect(latecomer.locator(".score")).to_contain_text("Host 1 – 0 Guest")
    play_game([3], yellow, red, [spectator, latecomer], already=1)


def test_after_a_rematch_the_free_seat_is_offered_in_its_colour(open_page, app_process):
    # The guest's seat is held for a moment only, so that the test can see
    # it freed; the host then invites someone else to play the guest's colour.
    app = app_process("--grace", str(1500 * MS))
    red, yellow = start_game(open_page, red_options={"base": app.url})
    play_game(RED_WINS, red, yellow)
    for page in (red, yellow):
        page.locator("button.rematch").click()
    expect(status(red)).to_contain_text("You are yellow")
    expect(status(yellow)).to_contain_text("You are red")

    # Someone else with the join link while the guest is here is refused,
    # in words that name no colour: the guest's has changed.
    stranger = open_page(yellow.url)
    expect(stranger.locator(".board-message-text")).to_have_text(
        "This game already has two players. Ask them for the watch link to follow it."
    )

    yellow.context.close()
    expect(headline(red)).to_have_text("Red left")
    expect(status(red)).to_contain_text(re.compile(r"Their seat is held for \d+ s\."))
    expect(red.locator('.share[data-kind="invite"] h2')).to_have_text(
        "Invite a friend to play red", timeout=WAIT + 1500 * MS * 1000
    )
    expect(status(red)).to_contain_text("Their seat is free: invite someone else.")
    screenshot(red, "seat-free.png")
    newcomer = open_page(shared_link(red, "invite"))
    expect(status(newcomer)).to_contain_text("You are red")
    expect(headline(newcomer)).to_have_text("Your turn")
    expect(red.locator(".share h2")).to_have_text("Anyone can watch at")
    expect(announcer(red)).to_have_text("Red joined.")
    stop_app(app)


# ---------------------------------------------------------------------------
# Leaving, coming back, and connections that drop


def test_an_absent_opponent_is_waited_for_and_explained(open_page):
    red, yellow = start_game(open_page, red_options={"paused_clock": True})
    spectator = watch_game(open_page, red)
    play_game([3, 3], red, yellow, [spectator])

    yellow.context.close()

    expect(headline(red)).to_have_text("Yellow left")
    expect(status(red)).to_contain_text("Their seat is held for 60 s.")
    expect(announcer(red)).to_contain_text("The game goes on when they're back.")
    expect(headline(spectator)).to_have_text("Yellow left")
    # The count goes down as time passes.
    red.context.clock.run_for(5_000)
    expect(status(red)).to_contain_text("Their seat is held for 55 s.")
    screenshot(red, "opponent-left.png")

    # A click meanwhile says why nothing happens.
    column(red, 2).click()
    expect(status(red)).to_contain_text("Waiting for yellow to come back.")
    wait_for_moves(red, 2)
    # Once the seat is no longer held, the host may invite someone else.
    red.context.clock.run_for(60_000)
    expect(status(red)).to_contain_text("Their seat is free: invite someone else.")
    expect(red.locator('.share[data-kind="invite"] h2')).to_have_text("Invite a friend to play yellow")


def test_the_opponent_sees_yellow_leave_and_come_back(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    play_game([3], red, yellow, [spectator])

    # Yellow goes to another page in the same tab, then comes back.
    address = yellow.url
    yellow.goto("about:blank")
    for page in (red, spectator):
        expect(headline(page)).to_have_text("Yellow left")
    yellow.goto(address)
    expect(status(yellow)).to_contain_text("You are yellow")
    expect(headline(yellow)).to_have_text("Your turn")
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
    assert any("Yellow left" in text for text in history), history
    expect(status(yellow)).to_contain_text("You are yellow")
    wait_for_moves(yellow, 2)


def test_server_shutdown_then_a_new_server(open_page, app_process):
    # This test stops its own server, so that the others keep theirs.
    app = app_process()
    # Paused clocks: the pages retry when the test says, not on their own.
    red = open_page(base=app.url, paused_clock=True, **PHONE_OPTIONS)
    yellow = open_page(shared_link(red, "invite"), paused_clock=True)
    spectator = open_page(shared_link(red, "watch"), paused_clock=True)
    expect(status(spectator)).to_contain_text("You are watching")
    play_game([3, 4], red, yellow, [spectator])

    stop_app(app)
    for page in (red, yellow, spectator):
        expect(headline(page)).to_have_text("The server went away")
        expect(status(page)).to_contain_text("Reconnecting")
        expect(status(page).get_by_role("button", name="Reconnect now")).to_be_visible()
    screenshot(red, "phone-reconnecting.png")

    # While the server is down, attempts fail and the page keeps trying.
    red.context.clock.run_for(2_000)
    expect(headline(red)).to_have_text("The server went away")
    expect(status(red).get_by_role("button", name="Reconnect now")).to_be_visible()

    # A new server on the same ports knows nothing of the game.
    app = app_process("--http-port", str(app.http_port), port=app.websocket_port)
    for page in (red, yellow, spectator):
        status(page).get_by_role("button", name="Reconnect now").click()
        expect(headline(page)).to_have_text("This game no longer exists")
        expect(page.locator(".board-message")).to_contain_text("may have restarted")
        expect(visible_new_game_controls(page)).to_have_count(1)
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone-game-gone.png")
    screenshot(yellow, "game-gone.png")
    # The dead token is gone: the next page load won't present it again.
    assert stored_seat(red) is None
    assert stored_seat(yellow) is None

    yellow.get_by_role("button", name="New game").click()
    expect(status(yellow)).to_contain_text("You are red")
    assert urlsplit(yellow.url).query == ""
    stop_app(app)


def test_a_duplicated_tab_takes_the_seat_over(open_page):
    red = open_page(paused_clock=True)
    yellow = open_page(shared_link(red, "invite"))
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
    expect(headline(red)).to_have_text("Continued in another tab")
    expect(status(red).get_by_role("button", name="Play here")).to_be_visible()
    screenshot(red, "another-tab.png")
    # The opponent saw no one leave.
    expect(status(yellow)).not_to_contain_text("left")

    # However long it waits, the first tab doesn't take the seat back.
    red.context.clock.run_for(60_000)
    expect(status(red)).to_have_attribute("data-state", "stopped")
    expect(headline(red)).to_have_text("Continued in another tab")
    play_game([2], twin, yellow, already=2)
    expect(status(twin)).not_to_contain_text("another tab")

    # Until the user says so.
    status(red).get_by_role("button", name="Play here").click()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 3)
    expect(headline(twin)).to_have_text("Continued in another tab")


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
    expect(headline(red)).to_have_text("Disconnected by the server")
    expect(status(red)).to_contain_text("Too many messages.")
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
    watch = shared_link(red, "watch")

    red.locator(".actions a.new").click()
    expect(status(red)).to_contain_text("You are red. Your friend isn't here yet.")
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
    assert parse_qs(urlsplit(shared_link(red, "invite")).query)["join"]
    expect(red.locator(".share-link")).not_to_have_text(watch)
    expect(headline(yellow)).to_have_text("Red left")


def test_the_page_reconnects_by_itself_after_a_network_blip(open_page):
    red = open_page()
    invitation = shared_link(red, "invite")

    # Yellow's connections pass through the test, which can cut them.
    connections = []

    def relay(websocket):
        connections.append((websocket, websocket.connect_to_server()))

    yellow = open_page(
        invitation,
        paused_clock=True,
        before_goto=lambda page: page.route_web_socket(re.compile(r"^wss?://"), relay),
    )
    expect(status(yellow)).to_contain_text("You are yellow")
    spectator = watch_game(open_page, red)
    play_game([3, 3], red, yellow, [spectator])

    to_page, to_server = connections[-1]
    to_server.close()
    to_page.close(code=1011, reason="network blip")
    expect(headline(yellow)).to_have_text("Connection lost")
    expect(status(yellow).get_by_role("button", name="Reconnect now")).to_be_visible()
    for page in (red, spectator):
        expect(headline(page)).to_have_text("Yellow left")

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


# ---------------------------------------------------------------------------
# Playing the computer


def record_events(page):
    """Keep every event the page receives from the server, in order, in a list."""
    events = []
    page.on(
        "websocket",
        lambda websocket: websocket.on("framereceived", lambda frame: events.append(json.loads(frame))),
    )
    return events


def columns_played(events):
    """The columns of the current game, from the events a player's page received."""
    columns = []
    for event in events:
        # A new connection or a rematch starts with init; the server then
        # replays the game, or a reset starts a new one.
        if event["type"] in ("init", "reset"):
            columns = []
        elif event["type"] == "play":
            columns.append(event["column"])
    return columns


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
    toggle = page.get_by_role("button", name="Play the computer")
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
        column(page, quick_move(columns)).click()
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
    expect(page.locator(".share h2")).to_have_text("Anyone can watch at")
    if colour == "yellow":
        expect(headline(page)).to_have_text(f"{name} is thinking…")
        screenshot(page, f"{size}-computer-thinking.png")
    expect(headline(page)).to_have_text("Your turn", timeout=SEARCH_WAIT)
    columns = columns_played(events)
    column(page, quick_move(columns)).click()
    expect(headline(page)).to_have_text(f"{name} is thinking…")
    expect(announcer(page)).to_have_text(
        re.compile(rf"^{re.escape(name)} played column \d\.$"), timeout=SEARCH_WAIT
    )
    wait_for_moves(page, len(columns) + 2)
    assert_first_page_fits(page, viewport)

    # A reload mid-game keeps the seat and the board.
    board = board_on_screen(page)
    page.reload()
    expect(status(page)).to_contain_text(f"You are {colour}.")
    wait_for_moves(page, len(columns) + 2)
    assert board_on_screen(page) == board
    assert "computer=" not in page.url

    columns = play_computer_to_the_end(page, events, name)
    assert board_on_screen(page) == expected_board(columns)
    result = describe_result(events, colour, name)
    expect(headline(page)).to_have_text(result)
    won, lost = int(result == "You won!"), int(result.endswith(" wins"))
    expect(page.locator(".score")).to_contain_text(f"You {won} – {lost} Computer")
    assert_first_page_fits(page, viewport)
    screenshot(page, f"{size}-computer-finished.png")

    # A spectator sees the computer named too, with the same score.
    spectator = watch_game(open_page, page, base=app.url, **options)
    expect(spectator.locator(".score")).to_contain_text(f"Host {won} – {lost} Computer")
    if lost:
        expect(headline(spectator)).to_have_text(f"{name} wins!")

    # The computer always wants a rematch: one click starts it, colours swapped.
    page.get_by_role("button", name="Rematch").click()
    other = "red" if colour == "yellow" else "yellow"
    expect(status(page)).to_contain_text(f"You are {other}.")
    # Whoever has red now starts.
    expect(headline(page)).to_have_text("Your turn", timeout=SEARCH_WAIT)
    wait_for_moves(page, 1 if other == "yellow" else 0)
    expect(page.locator(".score")).to_contain_text(" Computer")
    screenshot(page, f"{size}-computer-rematch.png")


# ---------------------------------------------------------------------------
# The analysis of a finished game


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
    expect(page.locator(".analysis-position")).to_have_text(f"{step} / {len(analysis['columns'])}")
    wait_for_moves(page, step)
    assert board_on_screen(page) == expected_board(analysis["columns"][:step])
    expect(page.locator(".column-values li .value")).to_have_text(expected_values(analysis, step))
    scores = analysis["scores"][step]
    known = [score for score in scores if score is not None]
    best = [index for index, score in enumerate(scores) if known and score == max(known)]
    for index in range(COLUMNS):
        item = page.locator(".column-values li").nth(index)
        if index in best:
            expect(item).to_have_class(re.compile(r"\bbest\b"))
            expect(column(page, index)).to_have_class(re.compile(r"\bbest\b"))
        else:
            expect(item).not_to_have_class(re.compile(r"\bbest\b"))


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
    red.get_by_role("button", name="Analyse").click()
    # Until the server answers, the page says it's working on it.
    expect(status(red).get_by_role("button", name="Analysing…")).to_be_disabled()
    holder["release"]()
    expect(red.locator(".analysis")).to_be_visible(timeout=SEARCH_WAIT)
    analysis = the_analysis(events)
    assert analysis["columns"] == RED_WINS_DIAGONAL

    # The analysis starts from the empty board, with the keyboard ready.
    expect(red.get_by_role("button", name="Next move")).to_be_focused()
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
    red.get_by_role("button", name="Start of the game").click()
    assert_analysis_step(red, analysis, 0)
    red.get_by_role("button", name="Next move").click()
    assert_analysis_step(red, analysis, 1)

    # The moves that changed the result are listed, and lead to their position.
    points = expected_turning_points(analysis, {"red": "Your", "yellow": "Yellow's"})
    listed = red.locator(".turning-points li")
    expect(listed).to_have_text(points or ["No move changed the result."])
    if points:
        listed.first.get_by_role("button").click()
        expect(listed.first.get_by_role("button")).to_have_attribute("aria-current", "step")
        expect(status(red)).to_contain_text("threw away a")
    assert_first_page_fits(red, DESKTOP)

    # Back to the game: the final position, and the rematch works.
    red.get_by_role("button", name="Back to the game").click()
    expect(red.locator(".analysis")).to_be_hidden()
    expect(red.locator(".board .cell.winning")).to_have_count(4)
    assert board_on_screen(red) == expected_board(RED_WINS_DIAGONAL)
    expect(headline(red)).to_have_text("You won!")
    for page in (red, yellow):
        page.get_by_role("button", name="Rematch").click()
    expect(status(red)).to_contain_text("You are yellow")
    expect(red.locator(".board .cell.empty")).to_have_count(COLUMNS * ROWS)
    expect(red.get_by_role("button", name="Analyse")).to_be_hidden()


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

    spectator.get_by_role("button", name="Analyse").tap()
    expect(spectator.locator(".analysis")).to_be_visible(timeout=SEARCH_WAIT)
    analysis = the_analysis(holder["events"])
    assert analysis["columns"] == YELLOW_WINS
    expect(headline(spectator)).to_have_text("Red's 1st move")
    assert_analysis_step(spectator, analysis, 0)
    for step in range(1, 6):
        spectator.get_by_role("button", name="Next move").tap()
        assert_analysis_step(spectator, analysis, step)
    expect(headline(spectator)).to_have_text("Yellow's 3rd move")
    assert_first_page_fits(spectator, PHONE)
    screenshot(spectator, "phone-analysis.png")
    points = expected_turning_points(analysis, {"red": "Red's", "yellow": "Yellow's"})
    expect(spectator.locator(".turning-points li")).to_have_text(points or ["No move changed the result."])

    spectator.get_by_role("button", name="End of the game").tap()
    assert_analysis_step(spectator, analysis, len(YELLOW_WINS))
    expect(headline(spectator)).to_have_text("Yellow wins!")
    expect(spectator.locator(".column-values li .value")).to_have_text(["—"] * COLUMNS)
    expect(spectator.locator(".board .cell.winning")).to_have_count(4)
    screenshot(spectator, "phone-analysis-end.png")

    # Escape leaves too; the players never noticed.
    spectator.keyboard.press("Escape")
    expect(spectator.locator(".analysis")).to_be_hidden()
    expect(spectator.get_by_role("button", name="Analyse")).to_be_focused()
    assert board_on_screen(spectator) == expected_board(YELLOW_WINS)
    expect(headline(red)).to_have_text("Yellow wins")


# ---------------------------------------------------------------------------
# Games shared by several servers through Redis (app.py --redis)


def at(app, page, kind):
    """The link that a page shares, at another server's address."""
    return f"{app.url}?{urlsplit(shared_link(page, kind)).query}"


def test_players_on_two_servers_sharing_redis_reload_and_rematch(open_page, app_process, redis_server):
    one, two = (app_process("--redis", redis_server.url, "--grace", "60") for _ in range(2))
    red = open_page(base=one.url)
    yellow = open_page(at(two, red, "invite"))
    expect(status(yellow)).to_contain_text("You are yellow")
    spectator = open_page(at(two, red, "watch"))
    expect(status(spectator)).to_contain_text("You are watching")
    play_game(RED_WINS[:3], red, yellow, [spectator])

    # Each reloads on its own server and plays on.
    yellow.reload()
    expect(status(yellow)).to_contain_text("You are yellow")
    wait_for_moves(yellow, 3)
    play_game(RED_WINS[3:4], red, yellow, [spectator], already=3)
    red.reload()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 4)
    play_game(RED_WINS[4:], red, yellow, [spectator], already=4)
    for page in (red, yellow, spectator):
        expect(page.locator(".board .cell.winning")).to_have_count(4)
        assert board_on_screen(page) == expected_board(RED_WINS)

    red.locator("button.rematch").click()
    expect(status(yellow)).to_contain_text("Red wants a rematch")
    yellow.locator("button.rematch").click()
    expect(status(yellow)).to_contain_text("You are red")
    expect(status(red)).to_contain_text("You are yellow")
    expect(spectator.locator(".score")).to_contain_text("Host 1 – 0 Guest")
    play_game([3, 3], yellow, red, [spectator])


def test_a_redis_outage_is_explained_and_the_game_goes_on(open_page, app_process, redis_server):
    one = app_process("--redis", redis_server.url, "--grace", "60")
    red = open_page(base=one.url)
    yellow = open_page(shared_link(red, "invite"))
    expect(status(yellow)).to_contain_text("You are yellow")
    play_game([3, 4], red, yellow)

    redis_server.stop()
    for page in (red, yellow):
        expect(headline(page)).to_have_text("The game is out of reach")
        expect(status(page)).to_contain_text("Reconnecting")
    screenshot(red, "redis-outage.png")

    # Once Redis is back, the pages find their game again by themselves.
    redis_server.start()
    back = 30_000 * MS * 1000  # the page's retries back off up to 10 s apart
    expect(status(red)).to_contain_text("You are red", timeout=back)
    expect(status(yellow)).to_contain_text("You are yellow", timeout=back)
    for page in (red, yellow):
        assert board_on_screen(page) == expected_board([3, 4])
    play_game([2], red, yellow, already=2)
