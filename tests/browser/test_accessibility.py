"""Playing with the keyboard alone, and what a screen reader hears."""



from .pages import (
    announcer,
    board,
    board_on_screen,
    cell,
    column,
    expect,
    expect_class,
    expected_board,
    play_game,
    start_game,
    tab_stops,
    watch_game,
)


def test_keyboard_plays_columns_and_the_board_is_one_tab_stop(open_page):
    red, yellow = start_game(open_page)

    # Tab reaches the board once, in the middle column, and leaves it next.
    red.keyboard.press("Tab")
    expect(column(red, 3)).to_be_focused()
    expect(tab_stops(red)).to_have_count(1)
    red.keyboard.press("Tab")
    assert board(red).evaluate("board => !board.contains(document.activeElement)")
    red.keyboard.press("Shift+Tab")
    expect(column(red, 3)).to_be_focused()
    red.keyboard.press("Enter")
    expect_class(cell(red, 3, 0), "red")
    expect_class(cell(yellow, 3, 0), "red")

    # Digits 1 to 7 play columns 0 to 6.
    yellow.keyboard.press("5")
    expect_class(cell(red, 4, 0), "yellow")

    # Arrows move between columns, Home and End to the edges; Space plays.
    red.keyboard.press("ArrowRight")
    expect(column(red, 4)).to_be_focused()
    red.keyboard.press("Space")
    expect_class(cell(yellow, 4, 1), "red")
    yellow.keyboard.press("1")
    expect_class(cell(red, 0, 0), "yellow")
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
    expect(tab_stops(red)).to_have_count(1)

    for page in (red, yellow):
        assert board_on_screen(page) == expected_board([3, 4, 4, 0])


def test_screen_readers_hear_moves_and_the_result(open_page):
    red, yellow = start_game(open_page)
    spectator = watch_game(open_page, red)
    expect(board(spectator)).to_have_attribute("role", "group")
    expect(board(spectator)).to_have_accessible_name("Board")
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

