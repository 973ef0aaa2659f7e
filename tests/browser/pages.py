"""What the game's page shows and does, each named once for every browser test.

The tests say `status(red)` or `rematch_button(yellow)`, never a selector:
when the page's markup changes, this file changes and the tests don't. Every
helper takes the Playwright page of one player or spectator.

"""

import json
import re
import struct
import zlib
from urllib.parse import urlsplit

from connect4 import COLUMNS, ROWS, Connect4
from utils import MS, ROOT

try:
    from playwright.sync_api import expect
except ImportError:  # Reported by the browser fixture, which knows to skip.
    expect = None


ARTIFACTS = ROOT / "tests" / "artifacts"
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


# ---------------------------------------------------------------------------
# The status box


def status(page):
    """The status box: the headline, its details and its buttons."""
    return page.locator(".status")


def headline(page):
    """The status box's first line: whose turn, or how the game ended."""
    return page.locator(".status-headline")


def announcer(page):
    """What a screen reader hears."""
    return page.locator(".announcer")


def button(page, name):
    """A button anywhere in the page, by the name that a user reads or hears."""
    return page.get_by_role("button", name=name)


def status_button(page, name):
    """A button of the status box, such as "Reconnect now" or "Play here"."""
    return status(page).get_by_role("button", name=name)


# ---------------------------------------------------------------------------
# The board


def board(page):
    """The board, with its columns and cells."""
    return page.locator(".board")


def board_columns(page):
    """The board's columns, left to right."""
    return page.locator(".board .column")


def column(page, index):
    """The column at index, 0 on the left: what a player clicks to play."""
    return page.locator(f'.board .column[data-column="{index}"]')


def column_cells(page, index):
    """The cells of the column at index, top first."""
    return column(page, index).locator(".cell")


def cell(page, index, row):
    """The cell at column index, row; row 0 is the bottom row."""
    return column_cells(page, index).nth(ROWS - 1 - row)


def cells(page, state):
    """The board's cells that have a class: "empty", "winning", "last"..."""
    return page.locator(f".board .cell.{state}")


def checkers(page):
    """The board's cells that hold a checker."""
    return page.locator(".board .cell:not(.empty)")


def tab_stops(page):
    """The places in the board that Tab stops at."""
    return page.locator('.board [tabindex="0"]')


def board_message(page):
    """The message over the board when there's no game to play."""
    return page.locator(".board-message")


def board_message_text(page):
    """The words of that message, without its buttons."""
    return page.locator(".board-message-text")


def winning_places(page):
    """The cells marked as the winning four, as sorted [column, row], row 0 at the bottom."""
    return sorted(board(page).evaluate(
        """board => Array.from(board.querySelectorAll(".cell.winning"), cell => [
            Number(cell.closest(".column").dataset.column), Number(cell.dataset.row),
        ])"""
    ))


def board_on_screen(page):
    """Every cell's state as [column][row], row 0 at the bottom."""
    return board(page).evaluate(
        """board => Array.from(board.querySelectorAll(".column"), column =>
            Array.from(column.querySelectorAll(".cell"), cell =>
                ["empty", "red", "yellow"].filter(state => cell.classList.contains(state)).join(" ")
            ).reverse()
        )"""
    )


def expected_board(played):
    """The board after playing columns in order, computed by the engine."""
    game = Connect4()
    board = [["empty"] * ROWS for _ in range(COLUMNS)]
    for index in played:
        player = game.next_player
        row = game.play(player, index)
        board[index][row] = player
    return board


def expect_class(locator, name):
    """Wait until the element has this class, among others."""
    expect(locator).to_have_class(re.compile(rf"(^|\s){re.escape(name)}(\s|$)"))


def expect_no_class(locator, name):
    """Wait until the element doesn't have this class."""
    expect(locator).not_to_have_class(re.compile(rf"(^|\s){re.escape(name)}(\s|$)"))


# ---------------------------------------------------------------------------
# Playing


def play(page, index):
    """Click a column, as a player does to play there; the server may refuse."""
    column(page, index).click()


def wait_for_moves(page, count):
    """Wait until the page shows count checkers."""
    expect(checkers(page)).to_have_count(count)


def play_game(played, red, yellow, watchers=(), *, already=0):
    """Click each column in turn on the right page, one move at a time.

    Each player clicks only once their page shows the previous move, as a
    person would; then every page must show the new checker.

    """
    for number, index in enumerate(played, start=already):
        player = red if number % 2 == 0 else yellow
        wait_for_moves(player, number)
        play(player, index)
        for page in (red, yellow, *watchers):
            wait_for_moves(page, number + 1)


def start_game(open_page, *, red_options=None, yellow_options=None):
    """Red opens the page and yellow follows the invitation from it."""
    red = open_page(**(red_options or {}))
    yellow = open_page(here(red, shared_link(red, "invite")), **(yellow_options or {}))
    expect(status(yellow)).to_contain_text("You are yellow")
    expect(status(red)).not_to_contain_text("Your friend")
    return red, yellow


def watch_game(open_page, red, **options):
    """A spectator follows the watch link from red's page."""
    spectator = open_page(here(red, shared_link(red, "watch")), **options)
    expect(status(spectator)).to_contain_text("You are watching")
    return spectator


def stored_seat(page):
    """The seat that the page keeps in sessionStorage, or None."""
    return page.evaluate(f"JSON.parse(sessionStorage.getItem({json.dumps(SEAT_KEY)}))")


def record_events(page):
    """Keep every event the page receives from the server, in order, in a list."""
    events = []
    page.on(
        "websocket",
        lambda websocket: websocket.on("framereceived", lambda frame: events.append(json.loads(frame))),
    )
    return events


# ---------------------------------------------------------------------------
# Links to share, and links to follow


def share_box(page):
    """The box offering a link to share, with its heading and buttons."""
    return page.locator(".share")


def share_heading(page, kind=None):
    """What the box offers: "Invite a friend to play yellow", "Anyone can watch at"."""
    if kind is None:
        return page.locator(".share h2")
    return page.locator(f'.share[data-kind="{kind}"] h2')


def share_link(page, kind=None):
    """The link shown in the box; kind, "invite" or "watch", waits for that one."""
    if kind is None:
        return page.locator(".share-link")
    return page.locator(f'.share[data-kind="{kind}"] .share-link')


def share_note(page):
    """The warning that the link only works on this computer."""
    return page.locator(".share-note")


def copy_button(page):
    """The button that copies the link."""
    return page.locator("button.copy")


def send_button(page):
    """The button that opens the phone's share sheet."""
    return page.locator("button.send")


def shared_link(page, kind):
    """The link that the page offers to share: "invite" or "watch"."""
    link = share_link(page, kind)
    expect(link).to_contain_text(f"?{'join' if kind == 'invite' else 'watch'}=")
    return link.text_content()


def here(page, link):
    """A shared link's key at the page's own address, which the link may not
    name: with LAN_ADDRESS, it names an address that the tests can't reach."""
    return f"{page.url.split('?')[0]}?{urlsplit(link).query}"


def links_into_games(page):
    """Links to follow, rather than text to copy, that lead into a game."""
    return page.locator('a[href*="join="], a[href*="watch="]')


def visible_action_links(page):
    """The links under the board that the user can see."""
    return page.locator(".actions a").filter(visible=True)


def new_game_link(page):
    """The "New game" link under the board."""
    return page.locator(".actions a.new")


def visible_new_game_controls(page):
    """Whatever offers a new game on screen, button or link."""
    return button(page, "New game").or_(
        page.get_by_role("link", name="New game")
    ).filter(visible=True)


# ---------------------------------------------------------------------------
# The score and the rematch


def score_line(page):
    """The score line: "You 1 – 0 Opponent", "Host 0 – 0 Guest · 1 draw"."""
    return page.locator(".score")


def score_side(page, colour):
    """The name on the score line next to the player of this colour."""
    return page.locator(f".score .score-side.{colour}")


def rematch_button(page):
    """The button that asks for, or accepts, a rematch."""
    return page.locator("button.rematch")


# ---------------------------------------------------------------------------
# The analysis of a finished game


def analysis_panel(page):
    """The analysis panel."""
    return page.locator(".analysis")


def analysis_position(page):
    """The analysis's counter: "3 / 11"."""
    return page.locator(".analysis-position")


def column_values(page):
    """What each column's move is worth, under the board, one item per column."""
    return page.locator(".column-values li")


def column_value_texts(page):
    """The words of those values: "win in 3", "draw", "—"."""
    return page.locator(".column-values li .value")


def turning_points(page):
    """The moves that changed the result, as a list."""
    return page.locator(".turning-points li")


def play_from_here_button(page):
    """The analysis's button that offers a game against the computer from the position shown."""
    return page.locator("button.play-from-here")


# ---------------------------------------------------------------------------
# Playing the computer, and its hints


def computer_options(page):
    """The computer's options: a level, a colour and the link that starts the game."""
    return page.locator(".computer-options")


def choose_computer(page, level, colour):
    """Pick a level and a colour among the computer's options, wherever they show."""
    options = computer_options(page)
    options.get_by_role("group", name="Level").get_by_label(level.capitalize()).check()
    options.get_by_role("group", name="You play").get_by_label("Red, first" if colour == "red" else "Yellow").check()


def computer_start_link(page):
    """The link that starts a game against the computer with the options chosen."""
    return computer_options(page).get_by_role("link", name="Start")


def hints_switch(page):
    """The checkbox that turns hints on and off, in a game against the computer."""
    return page.get_by_role("checkbox", name="Hints")


# ---------------------------------------------------------------------------
# Fitting on screen


def assert_first_page_fits(page, viewport):
    """The whole page is on screen: no scrolling, either way."""
    box = board(page).bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] + box["height"] <= viewport["height"], box
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert width <= viewport["width"], f"the page scrolls sideways: {width}px"
    assert height <= viewport["height"], f"the page scrolls down: {height}px"


def layout_problems(page):
    """What moved the board, or didn't fit the status box, since the page loaded.

    The record is kept by the script that conftest.py installs in every page.

    """
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


def screenshot(page, name):
    """Save a picture of the page in tests/artifacts/, for people to look at."""
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
    """How far apart two colours are, as (r, g, b) points."""
    return sum((a - b) ** 2 for a, b in zip(colour, other)) ** 0.5


# ---------------------------------------------------------------------------
# Servers that a test starts itself


def stop_app(app):
    """Stop app.py the way a service manager would, and check it agrees."""
    returncode, log = app.stop()
    assert returncode == 0, f"app.py exited with {returncode} on SIGTERM:\n{log}"


def columns_played(events):
    """The columns of the game a page is in now, from the events it received."""
    columns = []
    for event in events:
        # A new connection or a rematch starts with init; the server then
        # replays the game, or a reset starts a new one.
        if event["type"] in ("init", "reset"):
            columns = []
        elif event["type"] == "play":
            columns.append(event["column"])
    return columns
