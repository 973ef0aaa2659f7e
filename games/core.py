"""The game without I/O: seats, rooms, and the changes that move a game on.

A change to a game is a small dict. A decide function, move(), rematch(),
arrival(), departure() or start_from(), checks it against the game as it is and returns it,
or raises InvalidEvent. Then apply() makes it part of the game and returns
what the players and spectators must hear, as a list of outputs:

* :class:`ToEveryone`: an event for every connection in the room;
* :class:`ToSeat`: an event for the connection in one seat;
* :class:`Replaced`: a connection whose seat a newer one took, to close.

Nothing here sends, receives or waits: app.py delivers the outputs to its
connections. With --redis, every process applies the same changes in the
same order to its copy of the game (server/redis_games/).

"""

import dataclasses
import logging
import secrets
import time
import typing

from connect4 import PLAYER1, PLAYER2, Connect4
from games.events import encode, init_event, play_event
from games.exceptions import IllegalMove, InvalidEvent, RematchRefused, SeatTaken
from server.limits import LIMITS

__all__ = [
    "Seat",
    "Room",
    "ToEveryone",
    "ToSeat",
    "Replaced",
    "apply",
    "replay",
    "move",
    "rematch",
    "arrival",
    "departure",
    "start_from",
    "position_after",
    "other",
]

log = logging.getLogger("connect4")


@dataclasses.dataclass(eq=False)
class Seat:
    """A player's place at a game, which outlives its connections."""

    player: str  # colour in the current game: each rematch swaps them
    # Proves who holds the seat when its player reconnects; only they know it.
    token: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(16))
    connection: str | None = None  # the id of the connection in the seat, if any
    left_at: float = 0.0  # when the connection closed, in seconds since the epoch
    wins: int = 0
    computer: str | None = None  # a computer player's level; it has no connection

    @property
    def present(self):
        """Tell whether the player is at the game: connected, or a computer."""
        return self.connection is not None or self.computer is not None

    def is_abandoned(self):
        """Tell whether the player left longer ago than the grace period."""
        return not self.present and time.time() - self.left_at >= LIMITS.grace


@dataclasses.dataclass(eq=False)
class Room:
    """A game, the seats of its two players and every connection taking part."""

    join_key: str
    watch_key: str
    host: Seat  # started the game
    guest: Seat | None = None  # came with the join link
    number: int | str | None = None  # names the game in logs, where keys must not appear
    game: Connect4 = dataclasses.field(default_factory=Connect4)
    history: list = dataclasses.field(default_factory=list)  # this game's events, encoded
    rematch: set = dataclasses.field(default_factory=set)  # players asking for one
    draws: int = 0
    changes: int = 0  # how many changes made the room what it is (see apply())
    # What the adapter keeps here: the connections of players and spectators,
    # the analysis of the finished game (a future, once asked for), the timer
    # that forgets the room once empty, and the connections that asked for
    # hints, each with its seat and the last position it got a hint for.
    connected: set = dataclasses.field(default_factory=set)
    analysis: typing.Any = None
    expiry: typing.Any = None
    hints: dict = dataclasses.field(default_factory=dict)

    @property
    def seats(self):
        """The seats taken so far."""
        return [seat for seat in (self.host, self.guest) if seat is not None]

    def opponent(self, seat):
        """The other seat at the game, or None while nobody took it."""
        return self.guest if seat is self.host else self.host

    def seat_of(self, player):
        """The seat playing a colour."""
        return self.host if self.host.player == player else self.guest

    def score(self):
        """Games won by whoever plays each colour now, and draws."""
        score = {seat.player: seat.wins for seat in self.seats}
        return {PLAYER1: score.get(PLAYER1, 0), PLAYER2: score.get(PLAYER2, 0), "draws": self.draws}


# What apply() returns: what to send, in order.


class ToEveryone(typing.NamedTuple):
    """An event for every connection in the room."""

    message: str


class ToSeat(typing.NamedTuple):
    """An event for the connection in a seat, wherever that connection is."""

    seat: Seat
    message: str


class Replaced(typing.NamedTuple):
    """A connection whose seat a newer connection took: it must close."""

    connection: str


# What players do, checked against the game as it is: each decide function
# returns the change to apply, or raises InvalidEvent and changes nothing.


def move(seat, event, room):
    """Check a player's move and return the change that plays it."""
    if "column" not in event:
        raise InvalidEvent('A play event needs a "column".')
    try:
        room.game.check(seat.player, event["column"])
    except ValueError as exc:
        raise IllegalMove(str(exc)) from None
    return {"type": "play", "column": event["column"]}


def rematch(seat, room):
    """Check a player's request for a rematch and return the change that makes it."""
    if not room.game.over:
        raise RematchRefused("You can ask for a rematch when the game is over.")
    if seat.player in room.rematch:
        raise RematchRefused("You asked already. Waiting for your opponent.")
    return {"type": "rematch", "player": seat.player}


def arrival(role, connection, new_token, room):
    """Check that a connection may take the role's seat; return the change that seats it."""
    change = {"type": "arrive", "seat": role, "connection": connection}
    if new_token is None:  # a player back with its token takes its seat back
        return change
    if room.guest is not None and not room.guest.is_abandoned():
        # No colour here: the guest's colour swaps with every rematch.
        raise SeatTaken(
            "This game already has two players. Ask them for the watch link to follow it."
        )
    return change | {"token": new_token}


def departure(role, connection, room):
    """Return the change that frees the role's seat, unless a newer connection holds it."""
    seat = room.host if role == "host" else room.guest
    if seat.connection != connection:
        raise SeatTaken("The seat was taken over by a newer connection.")
    return {"type": "depart", "seat": role, "at": time.time()}


def start_from(columns, room):
    """Check the moves that a new game starts with, for "play from here"; return the change."""
    if room.game.columns:
        raise IllegalMove("The game has started already.")
    position_after(columns)
    return {"type": "start-from", "columns": list(columns)}


def position_after(columns):
    """The game after these columns, 0 to 6, or InvalidEvent if one can't be played or it ended."""
    game = Connect4()
    for number, column in enumerate(columns, start=1):
        try:
            game.play(game.next_player, column)
        except ValueError as exc:
            raise InvalidEvent(f"Move {number}, in column {column + 1}, can't be played: {exc}") from None
    if game.over:
        raise InvalidEvent("These moves end the game: nobody can play from there.")
    return game


def other(player):
    """The opponent's colour."""
    return PLAYER2 if player == PLAYER1 else PLAYER1


# Changes: how a game moves on.


def apply(room, change):
    """Make a change part of the game; return what everyone in it must hear."""
    room.changes += 1
    kind = change["type"]
    if kind == "play":
        return played(room, change["column"])
    elif kind == "rematch":
        return asked_for_rematch(room, change["player"])
    elif kind == "arrive":
        return arrived(room, change)
    elif kind == "start-from":
        return started_from(room, change["columns"])
    else:
        return departed(room, change)


def kept(room, message):
    """An event of the current game for everyone, kept for latecomers."""
    room.history.append(message)
    return ToEveryone(message)


def played(room, column):
    """Play the next player's checker in a column, and the result, if any."""
    player = room.game.next_player
    row = room.game.play(player, column)
    outputs = [kept(room, play_event(player, column, row))]
    if not room.game.over:
        return outputs
    if room.game.winner is not None:
        room.seat_of(player).wins += 1
        outputs.append(kept(room, encode(type="win", player=player)))
        log.info("game %s: %s won in %d moves", room.number, player, len(room.game.columns))
    else:
        room.draws += 1
        outputs.append(kept(room, encode(type="draw")))
        log.info("game %s: draw", room.number)
    return outputs


def started_from(room, columns):
    """Play the moves that a game from "play from here" starts with, as ordinary moves."""
    outputs = []
    for column in columns:
        outputs += played(room, column)
    log.info("game %s: starts after %d moves", room.number, len(columns))
    return outputs


def asked_for_rematch(room, player):
    """Record a request for a rematch; once both players asked, start it, colours swapped."""
    requests = [player]
    opponent = room.opponent(room.seat_of(player))
    if opponent is not None and opponent.computer is not None:  # it always wants another game
        requests.append(opponent.player)
    outputs = []
    for player in requests:
        room.rematch.add(player)
        outputs.append(ToEveryone(encode(type="rematch", player=player)))
    if len(room.rematch) < 2:
        return outputs
    # Red moves first, so swapping colours alternates who starts.
    room.game, room.history, room.rematch = Connect4(), [], set()
    room.analysis = None
    for seat in room.seats:
        seat.player = other(seat.player)
        if seat.computer is None:
            outputs.append(ToSeat(seat, init_event(room, seat)))
    # The score is by colour, which just swapped: say who the host is now.
    outputs.append(kept(room, encode(type="reset", score=room.score(), host=room.host.player)))
    log.info("game %s: rematch", room.number)
    return outputs


def arrived(room, change):
    """Seat a connection: a new guest, a guest replacing one who left, or a player back."""
    if change["seat"] == "host":
        seat = room.host
    elif room.guest is None:
        seat = room.guest = Seat(other(room.host.player), token=change["token"])
    else:
        seat = room.guest
        if "token" in change:  # whoever had the seat isn't coming back
            seat.token = change["token"]
    replaced, seat.connection = seat.connection, change["connection"]
    if replaced is None:
        return [ToEveryone(encode(type="joined", player=seat.player))]
    # The player came back on a new connection while the old one looked
    # alive: the new one wins, and the old page is told why.
    return [Replaced(replaced)]


def departed(room, change):
    """Free a seat whose connection closed, for the grace period."""
    seat = room.host if change["seat"] == "host" else room.guest
    seat.connection, seat.left_at = None, change["at"]
    log.info("game %s: %s left", room.number, seat.player)
    return [ToEveryone(encode(type="left", player=seat.player, grace=LIMITS.grace))]


def replay(room, own_seat=None):
    """The events that bring a newcomer up to date: who is here, the game's, rematch requests."""
    messages = []
    for seat in room.seats:
        if seat.computer is not None:  # say so: spectators name it by its level
            messages.append(encode(type="joined", player=seat.player, computer=seat.computer))
        elif seat.present and seat is not own_seat:
            messages.append(encode(type="joined", player=seat.player))
    messages += room.history
    messages += [encode(type="rematch", player=player) for player in room.rematch]
    return messages
