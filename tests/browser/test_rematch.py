"""Rematches: asking, accepting, colours swapped, the score kept, a seat freed."""

import re

from connect4 import COLUMNS, ROWS
from utils import MS, RED_WINS, RED_WINS_DIAGONAL

from .pages import (
    DESKTOP,
    LAN_ADDRESS,
    PHONE,
    PHONE_OPTIONS,
    WAIT,
    announcer,
    assert_first_page_fits,
    board_message_text,
    board_on_screen,
    cell,
    cells,
    expect,
    expect_class,
    expected_board,
    headline,
    play_game,
    rematch_button,
    score_line,
    score_side,
    screenshot,
    share_heading,
    shared_link,
    start_game,
    status,
    stop_app,
    stored_seat,
    wait_for_moves,
    watch_game,
)


def test_finished_game_offers_a_rematch(open_page):
    red, yellow = start_game(open_page, red_options={"init_script": LAN_ADDRESS})
    spectator = watch_game(open_page, red)
    play_game(RED_WINS_DIAGONAL, red, yellow, [spectator])

    expect(headline(red)).to_have_text("You won!")
    expect(headline(yellow)).to_have_text("Red wins")
    for page in (red, yellow):
        expect(rematch_button(page)).to_have_text("Rematch")
        expect(rematch_button(page)).to_be_enabled()
    expect(score_line(red)).to_contain_text("You 1 – 0 Opponent")
    expect(score_line(yellow)).to_contain_text("You 0 – 1 Opponent")
    expect(score_line(spectator)).to_contain_text("Host 1 – 0 Guest")
    expect(cells(red, "winning")).to_have_count(4)
    assert_first_page_fits(red, DESKTOP)
    # The README's picture, docs/screenshot.png: a won game, its four marked.
    red.mouse.move(0, 0)
    screenshot(red, "finished-desktop.png")


def test_rematch_on_a_phone(open_page):
    red, yellow = start_game(open_page, red_options=PHONE_OPTIONS, yellow_options=PHONE_OPTIONS)
    play_game(RED_WINS_DIAGONAL, red, yellow)
    rematch = rematch_button(red)
    expect(rematch).to_be_visible()
    # The button is on screen with the whole board: no scrolling to find it.
    screenshot(red, "phone-finished.png")
    assert_first_page_fits(red, PHONE)

    rematch_button(yellow).click()
    expect(rematch_button(yellow)).to_be_disabled()
    expect(rematch_button(yellow)).to_have_text("Waiting for opponent…")
    expect(status(red)).to_contain_text("Yellow wants a rematch")
    expect(rematch).to_have_text("Accept rematch")
    screenshot(red, "phone-rematch-asked.png")
    screenshot(yellow, "phone-rematch-waiting.png")
    assert_first_page_fits(red, PHONE)
    assert_first_page_fits(yellow, PHONE)

    rematch.tap()
    for page in (red, yellow):
        expect(cells(page, "empty")).to_have_count(COLUMNS * ROWS)
        expect(rematch_button(page)).to_be_hidden()
    expect(status(red)).to_contain_text("You are yellow")
    expect(score_line(red)).to_contain_text("You 1 – 0 Opponent")
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

    expected = expected_board(RED_WINS)
    for page in everyone:
        expect(cells(page, "winning")).to_have_count(4)
        assert board_on_screen(page) == expected
    expect(score_line(spectator)).to_contain_text("Host 1 – 0 Guest")
    # The seat tokens stayed out of the address bar.
    for page in (red, yellow):
        assert stored_seat(page)["token"] not in page.url

    # Red asks first; yellow and the spectator see it.
    rematch_button(red).click()
    expect(rematch_button(red)).to_have_text("Waiting for opponent…")
    expect(rematch_button(red)).to_be_disabled()
    screenshot(red, "rematch-waiting.png")
    for page in (yellow, spectator):
        expect(status(page)).to_contain_text("Red wants a rematch")
    expect(rematch_button(yellow)).to_have_text("Accept rematch")
    expect(rematch_button(spectator)).to_be_hidden()
    screenshot(yellow, "rematch-asked.png")

    rematch_button(yellow).click()
    for page in everyone:
        expect(cells(page, "empty")).to_have_count(COLUMNS * ROWS)
        expect(rematch_button(page)).to_be_hidden()
    expect(status(yellow)).to_contain_text("You are red")
    expect(status(red)).to_contain_text("You are yellow")
    # The score is by player: it doesn't flip for anyone when colours do.
    expect(score_line(red)).to_contain_text("You 1 – 0 Opponent")
    expect(score_line(yellow)).to_contain_text("You 0 – 1 Opponent")
    expect(score_line(spectator)).to_contain_text("Host 1 – 0 Guest")
    expect(score_side(spectator, "yellow")).to_have_text("Host")

    # Who was yellow starts the rematch, and everyone sees the move.
    play_game([3], yellow, red, [spectator])
    for page in everyone:
        expect_class(cell(page, 3, 0), "red")
    screenshot(red, "rematch-score.png")

    # A reload in the rematch keeps the new colour, the board and the score,
    # and so does a spectator who arrives now.
    yellow.reload()
    expect(status(yellow)).to_contain_text("You are red")
    expect(score_line(yellow)).to_contain_text("You 0 – 1 Opponent")
    wait_for_moves(yellow, 1)
    expect_class(cell(yellow, 3, 0), "red")
    latecomer = watch_game(open_page, red)
    expect(score_line(latecomer)).to_contain_text("Host 1 – 0 Guest")
    play_game([3], yellow, red, [spectator, latecomer], already=1)


def test_after_a_rematch_the_free_seat_is_offered_in_its_colour(open_page, app_process):
    # The guest's seat is held for a moment only, so that the test can see
    # it freed; the host then invites someone else to play the guest's colour.
    app = app_process("--grace", str(1500 * MS))
    red, yellow = start_game(open_page, red_options={"base": app.url})
    play_game(RED_WINS, red, yellow)
    for page in (red, yellow):
        rematch_button(page).click()
    expect(status(red)).to_contain_text("You are yellow")
    expect(status(yellow)).to_contain_text("You are red")

    # Someone else with the join link while the guest is here is refused,
    # in words that name no colour: the guest's has changed.
    stranger = open_page(yellow.url)
    expect(board_message_text(stranger)).to_have_text(
        "This game already has two players. Ask them for the watch link to follow it."
    )

    yellow.context.close()
    expect(headline(red)).to_have_text("Red left")
    expect(status(red)).to_contain_text(re.compile(r"Their seat is held for \d+ s\."))
    expect(share_heading(red, "invite")).to_have_text(
        "Invite a friend to play red", timeout=WAIT + 1500 * MS * 1000
    )
    expect(status(red)).to_contain_text("Their seat is free: invite someone else.")
    screenshot(red, "seat-free.png")
    newcomer = open_page(shared_link(red, "invite"))
    expect(status(newcomer)).to_contain_text("You are red")
    expect(headline(newcomer)).to_have_text("Your turn")
    expect(share_heading(red)).to_have_text("Anyone can watch at")
    expect(announcer(red)).to_have_text("Red joined.")
    stop_app(app)

