"""Games shared by several servers through Redis (app.py --redis)."""

from urllib.parse import urlsplit

from utils import MS, RED_WINS

from .pages import (
    board_on_screen,
    cells,
    expect,
    expected_board,
    headline,
    play_game,
    rematch_button,
    score_line,
    screenshot,
    shared_link,
    status,
    wait_for_moves,
)


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
        expect(cells(page, "winning")).to_have_count(4)
        assert board_on_screen(page) == expected_board(RED_WINS)

    rematch_button(red).click()
    expect(status(yellow)).to_contain_text("Red wants a rematch")
    rematch_button(yellow).click()
    expect(status(yellow)).to_contain_text("You are red")
    expect(status(red)).to_contain_text("You are yellow")
    expect(score_line(spectator)).to_contain_text("Host 1 – 0 Guest")
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

