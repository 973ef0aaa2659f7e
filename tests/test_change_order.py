"""server/change_order.py: the order in which a process applies a game's changes, without Redis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from server.change_order import ChangeOrder

# A game's list in Redis: its start at index 0, then its changes.
STORED = [{"start": True}] + [{"type": "play", "column": index} for index in range(1, 9)]


def created():
    """The order of a game this process created: its start is applied."""
    return ChangeOrder(applied=1)


def test_a_new_game_reads_its_whole_list():
    order = ChangeOrder()
    assert order.read_from() == 0
    assert order.caught_up(0, STORED[:3]) == STORED[:3]
    assert order.read_from() == 3
    assert not order.needs_catch_up


def test_the_next_change_heard_is_applied():
    order = created()
    assert order.heard(1, STORED[1]) == [STORED[1]]
    assert order.heard(2, STORED[2]) == [STORED[2]]
    assert order.read_from() == 3
    assert not order.needs_catch_up


def test_a_change_heard_twice_is_applied_once():
    order = created()
    assert order.heard(1, STORED[1]) == [STORED[1]]
    assert order.heard(1, STORED[1]) == []
    assert order.heard(0, STORED[0]) == []
    assert order.read_from() == 2
    assert not order.needs_catch_up


def test_a_change_committed_after_the_subscriber_applied_it_is_ignored():
    order = created()
    assert order.heard(1, STORED[1]) == [STORED[1]]  # heard before the commit returned
    assert order.heard(1, STORED[1]) == []  # the commit returns
    assert order.read_from() == 2


def test_a_gap_asks_for_the_list_from_the_first_missing_change():
    order = created()
    assert order.heard(3, STORED[3]) == []
    assert order.needs_catch_up
    assert order.read_from() == 1
    assert order.heard(4, STORED[4]) == []  # nothing applied out of order
    assert order.read_from() == 1


def test_catching_up_applies_the_missing_changes_then_the_waiting_ones_once():
    order = created()
    order.heard(3, STORED[3])
    order.heard(5, STORED[5])
    order.heard(4, STORED[4])
    assert order.caught_up(order.read_from(), STORED[1:4]) == STORED[1:6]
    assert not order.needs_catch_up
    assert order.read_from() == 6
    assert order.heard(5, STORED[5]) == []
    assert order.heard(6, STORED[6]) == [STORED[6]]


def test_the_list_read_overlapping_changes_applied_meanwhile_applies_the_rest():
    order = created()
    order.heard(3, STORED[3])
    start = order.read_from()
    # While the list is read, the missing changes are heard after all.
    assert order.heard(1, STORED[1]) == [STORED[1]]
    assert order.heard(2, STORED[2]) == STORED[2:4]
    assert order.heard(4, STORED[4]) == [STORED[4]]
    # The list as it stood when it was read: all of it applied already but 5.
    assert order.caught_up(start, STORED[start:6]) == [STORED[5]]
    assert order.read_from() == 6


def test_changes_heard_while_the_list_is_read_are_applied_after_it_once():
    order = created()
    order.heard(3, STORED[3])
    start = order.read_from()
    assert order.heard(4, STORED[4]) == []
    assert order.heard(6, STORED[6]) == []
    # The list was read before 4 and 6 were committed: 5 is still missing.
    assert order.caught_up(start, STORED[start:4]) == STORED[1:5]
    assert order.needs_catch_up
    assert order.read_from() == 5
    assert order.caught_up(5, STORED[5:7]) == STORED[5:7]
    assert not order.needs_catch_up


def test_two_reads_racing_apply_each_change_once():
    order = created()
    order.heard(2, STORED[2])
    first = order.read_from()
    order.heard(4, STORED[4])
    second = order.read_from()
    # The later read returns first.
    assert order.caught_up(second, STORED[second:5]) == STORED[1:5]
    assert order.caught_up(first, STORED[first:3]) == []
    assert not order.needs_catch_up


def test_a_read_that_stops_short_of_a_waiting_change_still_asks_for_the_rest():
    order = created()
    order.heard(4, STORED[4])
    assert order.caught_up(1, STORED[1:3]) == STORED[1:3]
    assert order.needs_catch_up
    assert order.read_from() == 3


@st.composite
def deliveries(draw):
    """A game's final list and what a process learns of it, in any order."""
    count = draw(st.integers(1, 12))
    # Distinct changes, so that one applied twice or out of place shows.
    stored = [{"counter": index} for index in range(count)]
    # The start, index 0, is never published: only reading the list gives it.
    events = [("hear", index) for index in range(1, count) for _ in range(draw(st.integers(0, 2)))]
    # A read starts at some point and returns the list as it stood then, or
    # later: any prefix of the final list.
    events += [("read", draw(st.integers(0, count))) for _ in range(draw(st.integers(0, 4)))]
    return stored, draw(st.permutations(events))


@settings(max_examples=300, deadline=None)
@given(deliveries(), st.integers(0, 1), st.data())
def test_any_deliveries_and_a_final_read_apply_the_list_once_in_order(delivered, known, data):
    stored, events = delivered
    known = min(known, len(stored))  # a game created here knows its start
    order, applied, reading = ChangeOrder(applied=known), stored[:known], []
    learnt = set(range(known))  # indices heard or read so far
    for kind, value in events:
        if kind == "hear":
            applied += order.heard(value, stored[value])
            learnt.add(value)
        else:
            reading.append((order.read_from(), value))
        # Reads return at any later point, in any order.
        while reading and data.draw(st.booleans()):
            start, length = reading.pop(data.draw(st.integers(0, len(reading) - 1)))
            applied += order.caught_up(start, stored[start:length])
            learnt.update(range(start, length))
        assert applied == stored[: len(applied)]  # never out of order, never twice
        # A change is applied as soon as every one before it is known.
        assert len(applied) == min(set(range(len(stored) + 1)) - learnt)
        assert order.read_from() == len(applied)
        assert order.needs_catch_up == any(index > len(applied) for index in learnt)
    for start, length in reading:
        applied += order.caught_up(start, stored[start:length])
    start = order.read_from()
    applied += order.caught_up(start, stored[start:])
    assert applied == stored
    assert not order.needs_catch_up
