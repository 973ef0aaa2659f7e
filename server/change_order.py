"""The order in which a process applies one game's changes, in the ``--redis`` mode.

Redis keeps a game as the list of its changes: index 0 is its start, then
every arrival, departure, move and rematch request. A process learns of a
change at an index in three ways: it hears it on the game's channel, it
commits it itself, or it reads it from the list. Heard changes may repeat
what the list already gave, and one may be missing before them (published
while the game loaded, or while the process's subscriber was busy).

ChangeOrder decides, from what the process learnt, which changes to apply
now: each once, in the order of the list. It does no I/O: Copies, in
server/redis_games/copies.py, listens and reads the list, and asks
ChangeOrder what to apply and from which index to read.

"""

__all__ = ["ChangeOrder"]


class ChangeOrder:
    """Which of a game's changes to apply now, and when its list must be read."""

    def __init__(self, applied=0):
        # How many changes were applied, the start included: the index of the
        # next one to apply. A game created here starts with its start applied.
        self.applied = applied
        # Changes learnt beyond a missing one, by index. They're kept, rather
        # than read again from the list, because they're known already; reading
        # the list fills the gap and drops them, so they never pile up.
        self.waiting = {}

    def heard(self, index, change):
        """Take a change at an index of the list; return the changes to apply now, in order."""
        # A committed change is taken the same way: the subscriber may have
        # applied it already, when it heard it before the commit returned.
        if index < self.applied:  # applied already: heard twice, or read first
            return []
        # The same index always holds the same change: the list only grows.
        self.waiting.setdefault(index, change)
        ready = []
        while self.applied in self.waiting:
            ready.append(self.waiting.pop(self.applied))
            self.applied += 1
        return ready

    def caught_up(self, start, changes):
        """Take changes read from the list from index start; return the changes to apply now."""
        # A read may race with heard changes and with other reads: each change
        # read is taken like one heard, so that none is applied twice.
        ready = []
        for index, change in enumerate(changes, start):
            ready += self.heard(index, change)
        return ready

    @property
    def needs_catch_up(self):
        """Whether a change was learnt after a missing one, which only the list has."""
        # True until a read fills the gap: a read that failed is tried again.
        return bool(self.waiting)

    def read_from(self):
        """The index where reading the list must start: the first change not applied."""
        return self.applied
