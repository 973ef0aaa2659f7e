"""Games shared by several app.py processes through Redis: ``app.py --redis URL``.

Redis holds each game as the list of its changes, in order: its start, then
every arrival, departure, move and rematch request (games/core.py's apply()
says what each does). A process checks a change against its copy of the
game, then commits it with a script that appends it only if the list still
has the length the process checked against, and publishes it on the game's
channel. Of two processes that accept conflicting changes at the same
instant, exactly one commits; the other catches up and checks its change
again, which now fails with the reason a client should hear ("It isn't your
turn").

Every process holds a copy of the games its connections are in, subscribed
to their channels, and applies each change it hears, in the order of the
list, none twice: each published change carries its index in the list, and a
gap is filled from the list. The rules stay in connect4.py, run by each
process on its copy: Redis only keeps the order.

A game's list and its channel share the hash tag {ID}, so that they live in
one Redis Cluster slot: on a cluster (cluster.py), the script publishes with
SPUBLISH and the process follows the game with SSUBSCRIBE on its master.
Lookup keys and leases are plain keys, in any slot, each read alone:

    c4:{ID}:log   list of the game's changes, JSON, the first being its start
    c4:{ID}       channel: "INDEX CHANGE" for each change committed
    c4:key:HASH   the game's ID, for a join key, watch key or seat token,
                  under its SHA-256: the keys are secrets, key names are not
    c4:process:P  exists while process P lives: a connection's id begins
                  with its process's, so others can free its players' seats
                  when it dies without a word (SIGKILL, a crashed machine)

Every key expires after the grace period, plus a margin, unless a process
with connections to the game renews it: a game nobody comes back to leaves
nothing behind.

The parts, from the bottom up:

    keys.py        the names of keys and channels, and how long keys live
    records.py     what a game's list and lookup keys hold
    cluster.py     a Redis Cluster: finding it out, sharded pub/sub
    connection.py  Storage: the connections to Redis, and outages
    script.py      Commits: the script that appends a change, in batches
    renewals.py    renewing the process's lease and the games' keys;
                   finding the players of dead processes
    copies.py      Copies: this process's copies of games, each applying
                   its changes in the order server/change_order.py says
    shared.py      SharedGames: create(), find(), change(), release()

"""

from server.redis_games.keys import log_key
from server.redis_games.shared import SharedGames

__all__ = ["SharedGames", "log_key"]
