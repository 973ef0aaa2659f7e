"""Events: what clients send, decoded, and what the server sends them, encoded once.

Pure JSON: nothing here knows about connections.

"""

import functools
import json

from games.exceptions import InvalidEvent

__all__ = ["parse", "encode", "play_event", "init_event", "error_event"]


# Clients send the same few messages over and over: {"type":"play","column":3}.
# Callers must not modify the events, which the cache shares.
@functools.lru_cache(maxsize=256)
def parse(message):
    """Decode a message from a client into an event, or raise InvalidEvent."""
    if not isinstance(message, str):
        raise InvalidEvent("Send events as JSON text, not binary data.")
    try:
        event = json.loads(message)
    # Deeply nested arrays exhaust the parser's recursion limit.
    except (ValueError, RecursionError):
        raise InvalidEvent("That message isn't valid JSON.") from None
    if not isinstance(event, dict):
        raise InvalidEvent("An event must be a JSON object.")
    if event.get("type") not in ("init", "play", "rematch", "analyse", "hints"):
        raise InvalidEvent('An event needs a "type": "init", "play", "rematch", "analyse" or "hints".')
    return event


_encoder = json.JSONEncoder(separators=(",", ":"))  # json.dumps() makes one per call


def encode(**event):
    """Serialize an event once, to send it to any number of connections."""
    return _encoder.encode(event)


@functools.cache
def play_event(player, column, row):
    """The encoded play event for a move: there are only 84 of them."""
    return encode(type="play", player=player, column=column, row=row)


def init_event(room, seat):
    """The event telling a player its colour, the game's keys and its seat token."""
    event = dict(join=room.join_key, watch=room.watch_key, player=seat.player, token=seat.token)
    opponent = room.opponent(seat)
    if opponent is not None and opponent.computer is not None:
        event["computer"] = opponent.computer  # the opponent's level
    return encode(type="init", **event)


def error_event(exc):
    """The event telling a client why its last event was refused, from the exception."""
    return encode(type="error", message=str(exc), reason=exc.reason)
