"""What one client address may hold: open connections and new games, ``CLIENTS``.

The server-wide limits (server/limits.py) keep the server up; these keep one
client from taking it away from the others. A client is an IP address: the
connection's own, or, when the connection comes from a proxy named with
--trusted-proxy, the address that the proxy puts in ``X-Forwarded-For``.
Anybody can write that header, so it counts only from those proxies.

"""

import ipaddress
import logging
import time

from games.exceptions import RateLimited
from server.limits import LIMITS

__all__ = ["CLIENTS", "Clients", "client_address", "proxy_network"]

log = logging.getLogger("connect4")

# A client refused again and again is named in the log once in this many seconds.
LOG_EVERY = 60


def proxy_network(text):
    """Read a --trusted-proxy value: an address, e.g. 127.0.0.1, or a network, 10.0.0.0/8."""
    return ipaddress.ip_network(text, strict=False)


def is_trusted(address):
    """Tell whether a connection from this address comes from a trusted proxy."""
    if not LIMITS.trusted_proxies:
        return False  # the usual case, without parsing an address for every handshake
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in LIMITS.trusted_proxies)


def client_address(peer, headers):
    """The address of the client behind a connection from peer, with these headers."""
    address = peer
    if not is_trusted(address):
        return address  # anyone may send X-Forwarded-For: it counts from proxies only
    # Each proxy appends the address it got the request from: read from the
    # right, past our own proxies, to the first address that isn't one.
    hops = [hop.strip() for value in headers.get_all("X-Forwarded-For") for hop in value.split(",")]
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return address  # junk: the last address a trusted proxy vouched for
        if not is_trusted(address):
            return address
    return address


class Clients:
    """Open connections and recent new games, by client address."""

    def __init__(self):
        self.connections = {}  # address -> open connections
        # address -> when its bucket of new games is full again, in ns: a
        # token bucket of client_games tokens earning all back in a minute.
        self.games_full_at = {}
        self.prune_above = 10_000  # addresses in games_full_at before pruning it
        self.logged = {}  # (address, limit) -> when a refusal was last logged

    def connect(self, address):
        """Count a connection from address as open; return False if it's one too many."""
        limit, count = LIMITS.client_connections, self.connections.get(address, 0)
        if limit and count >= limit:
            self.refused(address, "connections", f"{limit} connections are open from it")
            return False
        self.connections[address] = count + 1
        return True

    def disconnect(self, address):
        """Count a connection from address as closed."""
        count = self.connections.pop(address) - 1
        if count:
            self.connections[address] = count

    def start_game(self, address):
        """Count a new game from address, or raise RateLimited if it started too many."""
        limit = LIMITS.client_games
        if not limit or address is None:
            return
        now, refill = time.monotonic_ns(), 60_000_000_000 // limit
        full_at = max(self.games_full_at.get(address, now), now)
        if full_at + refill - now > limit * refill:  # no token left
            self.refused(address, "games", f"it started {limit} games in the last minute")
            raise RateLimited("You started many games in a short time. Wait a minute.")
        self.games_full_at[address] = full_at + refill
        self.prune(now)

    def prune(self, now):
        """Forget addresses whose bucket is full again, once there are many."""
        if len(self.games_full_at) > self.prune_above:
            for address, full_at in list(self.games_full_at.items()):
                if full_at <= now:
                    del self.games_full_at[address]
            self.prune_above = max(10_000, 2 * len(self.games_full_at))

    def refused(self, address, limit, why):
        """Log a refusal, naming the client, once a minute per client and limit at most."""
        now, key = time.monotonic(), (address, limit)
        if now - self.logged.get(key, -LOG_EVERY) >= LOG_EVERY:
            log.warning("refusing client %s: %s", address, why)
            if len(self.logged) > 10_000:
                self.logged.clear()  # a flood of addresses: logging a few again is fine
            self.logged[key] = now


CLIENTS = Clients()
