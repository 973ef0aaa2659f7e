"""The whole page on screen, on phones and desktops, however the status changes."""

import re

from .pages import (
    DESKTOP,
    PHONE,
    PHONE_OPTIONS,
    assert_first_page_fits,
    board,
    column,
    copy_button,
    expect,
    headline,
    layout_problems,
    play,
    play_game,
    screenshot,
    send_button,
    share_link,
    shared_link,
    start_game,
    status,
    wait_for_moves,
)


def test_phone_shows_the_whole_first_page(open_page):
    red = open_page(**PHONE_OPTIONS)
    invitation = shared_link(red, "invite")
    # The link is one line, not a block of characters; its buttons send it.
    link = share_link(red)
    height = link.evaluate("link => link.getBoundingClientRect().height")
    line = link.evaluate("link => parseFloat(getComputedStyle(link).lineHeight) || 20")
    assert height < 2 * line + 12, (height, line)
    expect(copy_button(red)).to_be_visible()
    expect(send_button(red)).to_be_hidden()  # this browser has no share sheet
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
            play(yellow, index)
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


def test_no_status_moves_the_board_on_a_phone(open_page):
    # Every test checks this once it's done (see open_page); this one goes
    # through the longest things the status box says, on the narrowest screen.
    red, yellow = start_game(open_page, red_options=PHONE_OPTIONS, yellow_options=PHONE_OPTIONS)
    top = board(red).bounding_box()["y"]
    play(yellow, 3)
    expect(status(yellow)).to_contain_text("It's red's turn.")
    play_game([3], red, yellow)
    play(red, 3)
    expect(status(red)).to_contain_text("It's yellow's turn.")
    yellow.context.close()
    expect(status(red)).to_contain_text(re.compile(r"Their seat is held for \d+ s\."))
    play(red, 3)
    expect(status(red)).to_contain_text("Waiting for yellow to come back.")
    screenshot(red, "phone-opponent-left.png")
    assert board(red).bounding_box()["y"] == top
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

