"""Inviting a friend, watching, and the links each page offers or refuses."""

import re
from urllib.parse import parse_qs, urlsplit

from connect4 import COLUMNS, ROWS

from .pages import (
    DESKTOP,
    FAKE_SHARE_SHEET,
    LAN_ADDRESS,
    PHONE,
    PHONE_OPTIONS,
    assert_first_page_fits,
    board,
    board_columns,
    board_message,
    button,
    cells,
    column_cells,
    copy_button,
    expect,
    headline,
    links_into_games,
    new_game_link,
    play_game,
    screenshot,
    share_box,
    share_heading,
    share_link,
    share_note,
    shared_link,
    start_game,
    status,
    visible_action_links,
    visible_new_game_controls,
    watch_game,
)


def test_red_sees_an_empty_board_and_an_invitation(open_page):
    red = open_page(permissions=["clipboard-read", "clipboard-write"])

    expect(headline(red)).to_have_text("Your turn")
    expect(status(red)).to_contain_text("You are red. Your friend isn't here yet.")

    shown = board_columns(red)
    expect(shown).to_have_count(COLUMNS)
    for index in range(COLUMNS):
        expect(shown.nth(index)).to_have_attribute("data-column", str(index))
        expect(shown.nth(index)).to_have_attribute("role", "button")
        expect(shown.nth(index)).to_have_attribute("aria-label", f"Column {index + 1}: empty")
        expect(column_cells(red, index)).to_have_count(ROWS)
    expect(cells(red, "empty")).to_have_count(COLUMNS * ROWS)

    # The invitation is an absolute link to this game, displayed in full on
    # a desktop, under a heading that names the colour the friend will play.
    expect(share_heading(red)).to_have_text("Invite a friend to play yellow")
    invitation = shared_link(red, "invite")
    assert re.fullmatch(r"https?://[^\s/]+/\S*\?join=\S+", invitation), invitation
    assert share_link(red).evaluate("link => link.scrollWidth <= link.clientWidth")

    # Copying puts the whole link on the clipboard, and says so briefly.
    copy_button(red).click()
    expect(copy_button(red)).to_have_text("Copied!")
    assert red.evaluate("navigator.clipboard.readText()") == invitation
    expect(copy_button(red)).to_have_text("Copy")
    assert_first_page_fits(red, DESKTOP)
    screenshot(red, "desktop-invite.png")


def test_copy_falls_back_to_selecting_the_link(open_page):
    # Pages opened over the LAN have no clipboard API: it needs HTTPS.
    red = open_page()
    red.evaluate("delete Navigator.prototype.clipboard")
    invitation = shared_link(red, "invite")

    copy_button(red).click()

    expect(copy_button(red)).not_to_have_text("Copy")
    assert red.evaluate("getSelection().toString()") == invitation


def test_the_invitation_says_when_it_only_works_here(open_page, app_url):
    # The test server, like two-terminal mode, has no network address to
    # offer: a link naming 127.0.0.1 or localhost can't reach a friend.
    red = open_page()
    shared_link(red, "invite")
    note = share_note(red)
    expect(note).to_be_visible()
    expect(note).to_contain_text("Only works on this computer: 127.0.0.1 is its own address.")
    expect(note).to_contain_text("python app.py")

    local = open_page(app_url.replace("127.0.0.1", "localhost"))
    assert shared_link(local, "invite").startswith("http://localhost:")
    expect(share_note(local)).to_contain_text("localhost is its own address")

    # With an address for the network, as app.py gives when it serves the
    # page on every interface, the link works for friends: no warning.
    lan = open_page(init_script=LAN_ADDRESS)
    assert shared_link(lan, "invite").startswith("http://192.0.2.7:8000/?join=")
    expect(share_note(lan)).to_be_hidden()


def test_phones_share_the_invitation_with_the_share_sheet(open_page):
    red = open_page(init_script=FAKE_SHARE_SHEET, **PHONE_OPTIONS)
    invitation = shared_link(red, "invite")
    send = button(red, "Share")
    expect(send).to_be_visible()
    send.tap()
    red.wait_for_function("window.sharedData.length === 1")
    shared = red.evaluate("window.sharedData[0]")
    assert shared["url"] == invitation, shared
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone-share.png")


def test_a_player_is_never_offered_a_link_out_of_its_seat(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)

    for page in (red, yellow):
        # The links to share are text to copy, not links to follow.
        expect(links_into_games(page)).to_have_count(0)
        links = visible_action_links(page)
        expect(links).to_have_count(1)
        expect(links).to_have_text("New game")
    expect(share_box(spectator)).to_be_hidden()
    expect(visible_action_links(spectator)).to_have_text("New game")
    # After the friend came, players share the watch link.
    expect(share_heading(red)).to_have_text("Anyone can watch at")
    expect(share_heading(yellow)).to_have_text("Anyone can watch at")
    screenshot(yellow, "desktop-yellow.png")


def test_a_third_player_is_refused_with_one_next_step(open_page):
    red, yellow = start_game(open_page)
    play_game([3], red, yellow)
    stranger = open_page(yellow.url)

    expect(headline(stranger)).to_have_text("You can't join this game")
    message = board_message(stranger)
    expect(message).to_contain_text("This game already has two players.")
    expect(visible_new_game_controls(stranger)).to_have_count(1)
    expect(board(stranger)).to_have_attribute("inert", "")
    expect(share_box(stranger)).to_be_hidden()
    # The game goes on for its players.
    expect(headline(yellow)).to_have_text("Your turn")
    screenshot(stranger, "refused.png")

    button(stranger, "New game").click()
    expect(headline(stranger)).to_have_text("Your turn")
    assert urlsplit(stranger.url).query == ""


def test_a_wrong_join_link_is_explained(open_page):
    stranger = open_page("?join=no-such-game", **PHONE_OPTIONS)
    expect(headline(stranger)).to_have_text("This game doesn't exist")
    expect(board_message(stranger)).to_contain_text("doesn't exist")
    expect(visible_new_game_controls(stranger)).to_have_count(1)
    # Keyboard users land on it.
    expect(button(stranger, "New game")).to_be_focused()
    expect(share_box(stranger)).to_be_hidden()
    assert_first_page_fits(stranger, PHONE)
    screenshot(stranger, "phone-wrong-link.png")


def test_the_new_game_link_starts_a_new_game(open_page):
    red, yellow = start_game(open_page)
    play_game([3], red, yellow)
    watch = shared_link(red, "watch")

    new_game_link(red).click()
    expect(status(red)).to_contain_text("You are red. Your friend isn't here yet.")
    expect(cells(red, "empty")).to_have_count(COLUMNS * ROWS)
    assert parse_qs(urlsplit(shared_link(red, "invite")).query)["join"]
    expect(share_link(red)).not_to_have_text(watch)
    expect(headline(yellow)).to_have_text("Red left")

