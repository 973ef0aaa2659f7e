"""Leaving and coming back: absent opponents, reloads, other tabs, connections that drop."""

import json
import re
from urllib.parse import urlsplit

from .pages import (
    PHONE,
    PHONE_OPTIONS,
    SEAT_KEY,
    announcer,
    assert_first_page_fits,
    board_message,
    board_on_screen,
    button,
    cell,
    expect,
    expect_class,
    expected_board,
    headline,
    play,
    play_game,
    screenshot,
    share_heading,
    shared_link,
    start_game,
    status,
    status_button,
    stop_app,
    stored_seat,
    visible_new_game_controls,
    wait_for_moves,
    watch_game,
)


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
    play(red, 2)
    expect(status(red)).to_contain_text("Waiting for yellow to come back.")
    wait_for_moves(red, 2)
    # Once the seat is no longer held, the host may invite someone else.
    red.context.clock.run_for(60_000)
    expect(status(red)).to_contain_text("Their seat is free: invite someone else.")
    expect(share_heading(red, "invite")).to_have_text("Invite a friend to play yellow")


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
    status(red).evaluate(
        """status => {
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
        expect(status_button(page, "Reconnect now")).to_be_visible()
    screenshot(red, "phone-reconnecting.png")

    # While the server is down, attempts fail and the page keeps trying.
    red.context.clock.run_for(2_000)
    expect(headline(red)).to_have_text("The server went away")
    expect(status_button(red, "Reconnect now")).to_be_visible()

    # A new server on the same ports knows nothing of the game.
    app = app_process("--http-port", str(app.http_port), port=app.websocket_port)
    for page in (red, yellow, spectator):
        status_button(page, "Reconnect now").click()
        expect(headline(page)).to_have_text("This game no longer exists")
        expect(board_message(page)).to_contain_text("may have restarted")
        expect(visible_new_game_controls(page)).to_have_count(1)
    assert_first_page_fits(red, PHONE)
    screenshot(red, "phone-game-gone.png")
    screenshot(yellow, "game-gone.png")
    # The dead token is gone: the next page load won't present it again.
    assert stored_seat(red) is None
    assert stored_seat(yellow) is None

    button(yellow, "New game").click()
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
    expect(status_button(red, "Play here")).to_be_visible()
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
    status_button(red, "Play here").click()
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
    reconnect = status_button(red, "Reconnect")
    expect(reconnect).to_be_visible()
    red.context.clock.run_for(60_000)
    expect(status(red)).to_have_attribute("data-state", "stopped")
    expect(reconnect).to_be_visible()

    # The user may try again; the game, and its first move, are still there.
    reconnect.click()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 1)
    expect_class(cell(red, 0, 0), "red")


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
    expect(status_button(yellow, "Reconnect now")).to_be_visible()
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

