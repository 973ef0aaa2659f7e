"""Hints (app.py): the scores of every move, for the person playing the computer only."""

import asyncio

import pytest

import app
from solver import Position, Solver
from conftest import MS, RED_WINS, assert_nothing_received, receive, send

# The longest that a search may take on a busy machine (see test_app.py).
SEARCH = 60_000 * MS


async def computer_game(client, level="perfect", **init):
    """Start a game against the computer, from moves if given; return the connection and init."""
    person = await client()
    await send(person, type="init", computer=level, **init)
    event = await receive(person)
    assert event["type"] == "init", event
    assert (await receive(person))["computer"] == level  # the computer is seated
    for _ in init.get("moves", ""):
        assert (await receive(person))["type"] == "play"
    return person, event


async def receive_until(websocket, kind):
    """Receive events up to the first of a type; return that one and those before it."""
    events = [await receive(websocket, timeout=SEARCH)]
    while events[-1]["type"] != kind:
        events.append(await receive(websocket, timeout=SEARCH))
    return events[-1], events[:-1]


def hint(columns):
    """The hints event for the position after these columns, from the solver itself."""
    return {"type": "hints", "scores": Solver().scores(Position.from_columns(columns))}


async def test_hints_score_every_move_after_each_of_the_computers(client):
    person, _ = await computer_game(client)
    await send(person, type="hints", on=True)
    # Red, the person, is to move: the hint comes at once.
    assert await receive(person, timeout=SEARCH) == hint([])
    columns = [3]
    for _ in range(3):
        await send(person, type="play", column=columns[-1])
        assert (await receive(person))["player"] == "red"
        reply = await receive(person, timeout=SEARCH)
        assert reply["player"] == "yellow"
        columns.append(reply["column"])
        # After the computer's move, the person's turn again: its hint.
        assert await receive(person, timeout=SEARCH) == hint(columns)
        columns.append(next(column for column in range(7) if columns.count(column) < 5))


async def test_hints_turned_on_during_the_computers_turn_come_after_its_move(client):
    person, _ = await computer_game(client, player="yellow", moves="")
    await send(person, type="hints", on=True)
    reply = await receive(person, timeout=SEARCH)
    assert reply["type"] == "play" and reply["player"] == "red"
    assert await receive(person, timeout=SEARCH) == hint([reply["column"]])


async def test_hints_turned_off_stop(client):
    person, _ = await computer_game(client, moves="44")
    await send(person, type="hints", on=True)
    assert await receive(person, timeout=SEARCH) == hint([3, 3])
    await send(person, type="hints", on=False)
    await send(person, type="play", column=3)
    assert (await receive(person))["player"] == "red"
    assert (await receive(person, timeout=SEARCH))["player"] == "yellow"
    await assert_nothing_received(person, 500 * MS)


async def test_hints_go_to_the_person_only_never_to_spectators(client):
    person, init = await computer_game(client, moves="4453")
    spectator = await client()
    await send(spectator, type="init", watch=init["watch"])
    await receive_until(spectator, "play")
    await send(person, type="hints", on=True)
    assert await receive(person, timeout=SEARCH) == hint([3, 3, 4, 2])
    # A spectator can't ask for them either: they could pass them on.
    await send(spectator, type="hints", on=True)
    assert await receive_until(spectator, "error") == (
        {"type": "error", "message": "Hints are only for the person playing the computer.", "reason": "hints"},
        [{"type": "play", "player": player, "column": column, "row": row}
         for player, column, row in [("yellow", 3, 1), ("red", 4, 0), ("yellow", 2, 0)]],
    )
    await send(person, type="play", column=3)
    _, seen = await receive_until(person, "hints")
    assert [event["type"] for event in seen] == ["play", "play"]
    for event in seen:
        assert await receive(spectator, timeout=SEARCH) == event
    await assert_nothing_received(spectator, 300 * MS)


async def test_hints_are_refused_in_a_game_between_people(game):
    for websocket in game.everyone:
        await send(websocket, type="hints", on=True)
        assert await receive(websocket) == {
            "type": "error",
            "message": "Hints are only for the person playing the computer.",
            "reason": "hints",
        }
    await game.play("red", 3)  # nobody got anything else
    for websocket in game.everyone:
        await assert_nothing_received(websocket)


@pytest.mark.parametrize("on", [None, 1, "true", [True]])
async def test_a_hints_event_without_a_boolean_is_invalid(client, on):
    person, _ = await computer_game(client)
    await send(person, type="hints", on=on)
    event = await receive(person)
    assert event["type"] == "error" and event["reason"] == "invalid"
    await send(person, type="hints")
    assert (await receive(person))["reason"] == "invalid"
    await assert_nothing_received(person)


async def test_a_hint_for_a_position_that_is_gone_is_dropped(client, monkeypatch):
    # The real search, held until the person has moved on.
    release, searched = asyncio.Event(), []
    search = app.SEARCHES.hints

    async def held_search(columns):
        searched.append(list(columns))
        await release.wait()
        return await search(columns)

    monkeypatch.setattr(app.SEARCHES, "hints", held_search)
    person, _ = await computer_game(client, moves="44")
    await send(person, type="hints", on=True)
    await send(person, type="play", column=3)
    assert (await receive(person))["player"] == "red"
    release.set()
    reply = await receive(person, timeout=SEARCH)
    assert reply.get("player") == "yellow", reply
    # The hint searched for [3, 3] is dropped; the next one is for now.
    assert await receive(person, timeout=SEARCH) == hint([3, 3, 3, reply["column"]])
    assert searched == [[3, 3], [3, 3, 3, reply["column"]]]


async def test_hints_come_again_in_a_rematch(client):
    person, _ = await computer_game(client, "easy", moves="1212121"[:-1])
    await send(person, type="hints", on=True)
    assert await receive(person, timeout=SEARCH) == hint(RED_WINS[:6])
    await send(person, type="play", column=0)  # red wins
    await receive_until(person, "win")
    await send(person, type="rematch")
    # Yellow now; the computer, red, opens; then the person's hint.
    _, events = await receive_until(person, "hints")
    move = events[-1]
    assert move["type"] == "play" and move["player"] == "red"
    await assert_nothing_received(person)


async def test_hints_belong_to_a_connection_not_to_the_seat(client, monkeypatch):
    monkeypatch.setattr(app.LIMITS, "grace", 60)
    person, init = await computer_game(client, moves="44")
    await send(person, type="hints", on=True)
    assert await receive(person, timeout=SEARCH) == hint([3, 3])
    await person.close()
    back = await client()
    await send(back, type="init", token=init["token"])
    await receive_until(back, "play")
    assert (await receive(back))["type"] == "play"  # the second of the two moves
    await assert_nothing_received(back, 300 * MS)
    await send(back, type="hints", on=True)
    assert await receive(back, timeout=SEARCH) == hint([3, 3])
