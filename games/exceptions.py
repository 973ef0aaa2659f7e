"""The game's exceptions: what a client may get wrong, and what the storage can't do.

* :exc:`InvalidEvent`: a client sent an event the server can't act on; it
  hears an error event with the exception's message and ``reason``, and
  nothing changes.

  * :exc:`GameNotFound`: ``"not-found"``
  * :exc:`SeatTaken`: ``"seat-taken"``
  * :exc:`NotAPlayer`: ``"spectator"``
  * :exc:`IllegalMove`: ``"illegal-move"``
  * :exc:`RematchRefused`: ``"rematch"``
  * :exc:`AlreadyInGame`: ``"in-game"``
  * :exc:`ServerFull`: ``"server-full"``
  * :exc:`RateLimited`: ``"rate-limited"``
  * :exc:`AnalysisRefused`: ``"analysis"``
  * :exc:`HintsRefused`: ``"hints"``

* :exc:`Unavailable`: the games' storage can't be reached now: ``"unavailable"``
* :exc:`StorageUnreachable`: the games' storage can't be reached at start

"""

__all__ = [
    "InvalidEvent",
    "GameNotFound",
    "SeatTaken",
    "NotAPlayer",
    "IllegalMove",
    "RematchRefused",
    "AlreadyInGame",
    "ServerFull",
    "RateLimited",
    "AnalysisRefused",
    "HintsRefused",
    "Unavailable",
    "StorageUnreachable",
]


class InvalidEvent(Exception):
    """A client sent an event the server can't act on; the message says why."""

    reason = "invalid"


class GameNotFound(InvalidEvent):
    """No game has that join key, watch key or seat token, or no longer."""

    reason = "not-found"


class SeatTaken(InvalidEvent):
    """The join link's seat is held by a player who is here or may come back."""

    reason = "seat-taken"


class NotAPlayer(InvalidEvent):
    """A spectator tried to do what only players do."""

    reason = "spectator"


class IllegalMove(InvalidEvent):
    """The rules refuse the move: not your turn, a full column, the game is over..."""

    reason = "illegal-move"


class RematchRefused(InvalidEvent):
    """The game isn't over, or the player asked already."""

    reason = "rematch"


class AlreadyInGame(InvalidEvent):
    """An init arrived on a connection that is already in a game."""

    reason = "in-game"


class ServerFull(InvalidEvent):
    """The server holds as many games or connections as it may."""

    reason = "server-full"


class RateLimited(InvalidEvent):
    """One client address started as many games as it may for now."""

    reason = "rate-limited"


class AnalysisRefused(InvalidEvent):
    """The game isn't over, or the server is too busy to analyse it now."""

    reason = "analysis"


class HintsRefused(InvalidEvent):
    """Hints are for the person playing the computer: not spectators, not games between people."""

    reason = "hints"


class Unavailable(Exception):
    """The games' storage can't be reached: the client should come back later."""

    reason = "unavailable"


class StorageUnreachable(Exception):
    """The games' storage, Redis, can't be reached when the server starts."""
