"""The game without I/O (games/core.py): changes and what apply() says to send.

No server and no network here: each test builds a room, applies changes as
a storage would, and reads the outputs that app.py would deliver.

"""

import json
import time

import pytest

from games.core import (
    Replaced,
    Room,
    Seat,
    ToEveryone,
    ToSeat,
    apply,
    arrival,
    departure,
    move,
    position_after,
    rematch,
    replay,
    start_from,
)
from games.exceptions import IllegalMove, InvalidEvent, RematchRefused, SeatTaken
from server.limits import LIMITS
from conftest import DRAW, RED_WINS


def decoded(outputs):
    """The events of outputs for everyone, decoded."""
    return [json.loads(output.message) for output in outputs if isinstance(output, ToEveryone)]


def game_with_two_players():
    """A room whose host plays red and whose guest, yellow, just arrived."""
    room = Room("join", "watch", Seat("red", connection="p/1"))
    apply(room, arrival("guest", "p/2", "guest-token", room))
    return room


def play(room, columns):
    """Play columns, each by the player whose turn it is; return the last outputs."""
    for column in columns:
        outputs = apply(room, move(room.seat_of(room.game.next_player), {"column": column}, room))
    return outputs


# Moves.


def test_a_move_is_a_play_event_for_everyone_kept_for_latecomers():
    room = game_with_two_players()
    outputs = play(room, [3])
    assert decoded(outputs) == [{"type": "play", "player": "red", "column": 3, "row": 0}]
    assert room.history == [output.message for output in outputs]


def test_the_fourth_in_a_row_is_followed_by_win_and_counts_it():
    room = game_with_two_players()
    outputs = play(room, RED_WINS)
    assert decoded(outputs) == [
        {"type": "play", "player": "red", "column": 0, "row": 3},
        {"type": "win", "player": "red"},
    ]
    assert room.host.wins == 1 and room.guest.wins == 0
    assert len(room.history) == len(RED_WINS) + 1


def test_a_full_board_is_followed_by_draw():
    room = game_with_two_players()
    assert decoded(play(room, DRAW))[-1] == {"type": "draw"}
    assert room.draws == 1


def test_a_move_out_of_turn_is_refused_and_changes_nothing():
    room = game_with_two_players()
    with pytest.raises(IllegalMove, match="isn't your turn"):
        move(room.guest, {"column": 3}, room)
    assert room.game.columns == [] and room.changes == 1


def test_a_play_event_without_a_column_is_refused():
    room = game_with_two_players()
    with pytest.raises(InvalidEvent, match='"column"'):
        move(room.host, {"type": "play"}, room)


def test_each_change_is_counted():
    room = game_with_two_players()
    play(room, [0, 1, 2])
    assert room.changes == 4  # the guest's arrival, then three moves


# Arrivals and departures.


def test_a_guest_arriving_is_joined_for_everyone_with_the_other_colour():
    room = Room("join", "watch", Seat("yellow", connection="p/1"))
    outputs = apply(room, arrival("guest", "p/2", "guest-token", room))
    assert decoded(outputs) == [{"type": "joined", "player": "red"}]
    assert room.guest.player == "red" and room.guest.token == "guest-token"
    assert room.history == []  # who is here isn't an event of the game


def test_a_second_guest_is_refused_while_the_first_may_come_back(monkeypatch):
    monkeypatch.setattr(LIMITS, "grace", 60)
    room = game_with_two_players()
    apply(room, departure("guest", "p/2", room))
    with pytest.raises(SeatTaken):
        arrival("guest", "p/3", "other-token", room)


def test_a_guest_takes_the_seat_of_one_who_didnt_come_back():
    room = game_with_two_players()
    apply(room, {"type": "depart", "seat": "guest", "at": time.time() - LIMITS.grace - 1})
    outputs = apply(room, arrival("guest", "p/3", "new-token", room))
    assert decoded(outputs) == [{"type": "joined", "player": "yellow"}]
    assert room.guest.token == "new-token" and room.guest.connection == "p/3"


def test_a_player_back_on_a_new_connection_closes_the_old_one():
    room = game_with_two_players()
    outputs = apply(room, arrival("host", "p/3", None, room))
    assert outputs == [Replaced("p/1")]
    assert room.host.connection == "p/3"


def test_a_player_leaving_is_left_for_everyone_with_the_grace_period(monkeypatch):
    monkeypatch.setattr(LIMITS, "grace", 30)
    room = game_with_two_players()
    outputs = apply(room, departure("host", "p/1", room))
    assert decoded(outputs) == [{"type": "left", "player": "red", "grace": 30}]
    assert not room.host.present


def test_a_replaced_connection_leaving_frees_nothing():
    room = game_with_two_players()
    apply(room, arrival("host", "p/3", None, room))
    with pytest.raises(SeatTaken):
        departure("host", "p/1", room)
    assert room.host.connection == "p/3"


# Rematches.


def test_a_rematch_is_refused_before_the_game_is_over():
    room = game_with_two_players()
    with pytest.raises(RematchRefused):
        rematch(room.host, room)


def test_a_first_request_for_a_rematch_is_told_to_everyone():
    room = game_with_two_players()
    play(room, RED_WINS)
    outputs = apply(room, rematch(room.guest, room))
    assert decoded(outputs) == [{"type": "rematch", "player": "yellow"}]
    with pytest.raises(RematchRefused, match="asked already"):
        rematch(room.guest, room)


def test_a_rematch_both_asked_for_swaps_colours_and_starts_a_new_game():
    room = game_with_two_players()
    play(room, RED_WINS)
    apply(room, rematch(room.host, room))
    outputs = apply(room, rematch(room.guest, room))
    assert room.host.player == "yellow" and room.guest.player == "red"
    assert room.game.columns == [] and room.rematch == set()
    # Each player hears its new colour, then everyone hears the new score.
    inits = [(output.seat, json.loads(output.message)) for output in outputs[1:3]]
    assert all(isinstance(output, ToSeat) for output in outputs[1:3])
    assert [(seat, event["type"], event["player"]) for seat, event in inits] == [
        (room.host, "init", "yellow"),
        (room.guest, "init", "red"),
    ]
    reset = {"type": "reset", "score": {"red": 0, "yellow": 1, "draws": 0}, "host": "yellow"}
    assert decoded(outputs) == [{"type": "rematch", "player": "yellow"}, reset]
    assert room.history == [outputs[-1].message]


def test_the_computer_accepts_a_rematch_at_once():
    room = Room("join", "watch", Seat("red", connection="p/1"), Seat("yellow", computer="easy"))
    play(room, RED_WINS)
    outputs = apply(room, rematch(room.host, room))
    assert [type(output) for output in outputs] == [ToEveryone, ToEveryone, ToSeat, ToEveryone]
    assert outputs[2].seat is room.host  # the computer has no connection to tell
    assert room.host.player == "yellow" and room.guest.player == "red"


# Latecomers.


def test_a_newcomer_hears_who_is_here_the_game_and_rematch_requests():
    room = game_with_two_players()
    play(room, RED_WINS)
    apply(room, rematch(room.host, room))
    messages = [json.loads(message) for message in replay(room)]
    assert messages[:2] == [
        {"type": "joined", "player": "red"},
        {"type": "joined", "player": "yellow"},
    ]
    assert [message["type"] for message in messages[2:]] == ["play"] * 7 + ["win", "rematch"]


def test_a_player_back_doesnt_hear_of_itself():
    room = game_with_two_players()
    messages = [json.loads(message) for message in replay(room, room.guest)]
    assert messages == [{"type": "joined", "player": "red"}]


# Play from here: a game that starts after some moves.


def test_a_game_started_from_moves_plays_them_for_everyone_and_latecomers():
    room = Room("join", "watch", Seat("yellow", connection="p/1"), Seat("red", computer="easy"))
    outputs = apply(room, start_from([3, 3, 4], room))
    assert decoded(outputs) == [
        {"type": "play", "player": "red", "column": 3, "row": 0},
        {"type": "play", "player": "yellow", "column": 3, "row": 1},
        {"type": "play", "player": "red", "column": 4, "row": 0},
    ]
    assert room.game.columns == [3, 3, 4] and room.game.next_player == "yellow"
    assert replay(room, room.host)[1:] == [output.message for output in outputs]
    assert room.changes == 1  # one change, whatever the number of moves


@pytest.mark.parametrize(
    "columns, message",
    [
        ([0] * 7, "Move 7, in column 1, can't be played: This column is full."),
        (RED_WINS + [2], "Move 8, in column 3, can't be played: The game is over."),
        (RED_WINS, "These moves end the game: nobody can play from there."),
        (DRAW, "These moves end the game: nobody can play from there."),
    ],
)
def test_moves_that_cant_be_played_or_end_the_game_are_refused(columns, message):
    with pytest.raises(InvalidEvent) as raised:
        position_after(columns)
    assert str(raised.value) == message and raised.value.reason == "invalid"
    room = Room("join", "watch", Seat("red", connection="p/1"), Seat("yellow", computer="easy"))
    with pytest.raises(InvalidEvent):
        start_from(columns, room)
    assert room.game.columns == [] and room.changes == 0


def test_a_game_that_started_cant_start_from_moves():
    room = game_with_two_players()
    play(room, [3])
    with pytest.raises(IllegalMove):
        start_from([2], room)
