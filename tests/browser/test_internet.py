"""A friend anywhere: the game over https:// and wss:// through Caddy, set up as deploy/ does."""

import pytest

from utils import RED_WINS, CaddyServer, free_port, require_caddy

from .pages import (
    DESKTOP,
    PHONE_OPTIONS,
    assert_first_page_fits,
    board_on_screen,
    cells,
    expect,
    expected_board,
    play_game,
    screenshot,
    shared_link,
    status,
    stop_app,
    wait_for_moves,
)


@pytest.fixture
def behind_caddy(app_process, tmp_path):
    """app.py on one port for its public address, https://localhost:PORT/, which Caddy serves."""
    require_caddy()
    port = free_port()
    app = app_process(
        "--public-url", f"https://localhost:{port}", "--trusted-proxy", "127.0.0.1",
        "--grace", "60", "--max-client-connections", "100", "--max-client-games", "60",
    )  # fmt: skip
    caddy = CaddyServer(tmp_path, port, app.websocket_port)
    yield caddy
    caddy.stop()
    stop_app(app)


@pytest.mark.parametrize(
    "options", [{"viewport": DESKTOP}, PHONE_OPTIONS], ids=["desktop", "phone"]
)
def test_a_friend_and_a_spectator_play_over_https_and_a_reload_resumes(
    open_page, behind_caddy, options
):
    sockets = []

    def open_securely(path=""):
        return open_page(
            path,
            base=behind_caddy.url,
            ignore_https_errors=True,  # Caddy's local authority isn't the browser's
            before_goto=lambda page: page.on("websocket", lambda ws: sockets.append(ws.url)),
            **options,
        )

    red = open_securely()
    # The links and the game's address follow --public-url, nothing edited by hand.
    invitation = shared_link(red, "invite")
    assert invitation.startswith(f"{behind_caddy.url}?join="), invitation
    assert_first_page_fits(red, options["viewport"])
    yellow = open_securely(invitation)
    expect(status(yellow)).to_contain_text("You are yellow")
    watching = shared_link(red, "watch")
    assert watching.startswith(f"{behind_caddy.url}?watch="), watching
    spectator = open_securely(watching)
    expect(status(spectator)).to_contain_text("You are watching")
    assert set(sockets) == {behind_caddy.uri}

    play_game(RED_WINS[:3], red, yellow, [spectator])
    red.reload()
    expect(status(red)).to_contain_text("You are red")
    wait_for_moves(red, 3)
    play_game(RED_WINS[3:], red, yellow, [spectator], already=3)
    for page in (red, yellow, spectator):
        expect(cells(page, "winning")).to_have_count(4)
        assert board_on_screen(page) == expected_board(RED_WINS)
    expect(status(yellow)).to_contain_text("Red wins")
    size = "phone" if options["viewport"] != DESKTOP else "desktop"
    screenshot(red, f"https-caddy-red-{size}.png")
    screenshot(yellow, f"https-caddy-yellow-{size}.png")
