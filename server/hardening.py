"""What keeps the game server safe on an open network: limits, floods, other sites.

The tutorial's server trusts its clients. This one doesn't, and everything it
does about that lives here, out of the way of the game's own code in app.py:

- ``LIMITS`` (from server/limits.py): how many games and connections, how fast;
- ``GameConnection``: a connection that closes itself when its client floods;
- ``connection_slot()``: counts open connections against the limit;
- ``check_request()``: answers health checks, refuses other sites' pages and
  clients over their share (server/clients.py), and, on one port, hands
  requests for the page to it.

"""

import contextlib
import http
import logging
import time
import urllib.parse

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Close, CloseCode

from server.clients import CLIENTS, client_address
from server.limits import LIMITS

__all__ = ["LIMITS", "MAX_SIZE", "GameConnection", "check_request", "connection_slot"]

log = logging.getLogger("connect4")

# The largest valid event, an init with a key and a token, is under 150 bytes.
MAX_SIZE = 2048


class GameConnection(ServerConnection):
    """A server connection that closes with 1008 when its client floods it.

    It knows its client's address, ``client``, once check_request() let its
    handshake go ahead, and counts as open for that client until it's lost.

    """

    # Slots: with more than 30 attributes in its __dict__, websockets' own
    # included, each connection's dict would stop sharing its keys, +1.3 KiB.
    __slots__ = ("client", "refill", "bucket_depth", "bucket_full_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = None
        # A token bucket of message_burst tokens, earning one back every
        # `refill` nanoseconds, kept as one number: when it would be full again.
        # Integers, so that a burst of exactly message_burst is always allowed.
        self.refill = round(1e9 / LIMITS.messages_per_second)
        self.bucket_depth = LIMITS.message_burst * self.refill  # from empty to full
        self.bucket_full_at = time.monotonic_ns()

    def check_rate(self):
        """Count a message received; fail the connection if there were too many."""
        # A plain method, not a recv() override: this runs for every message.
        now = time.monotonic_ns()
        if self.bucket_full_at < now:
            self.bucket_full_at = now
        # The message spends a token, which takes a refill to earn back.
        self.bucket_full_at += self.refill
        if self.bucket_full_at - now > self.bucket_depth:  # there was no token left
            log.warning("closing a connection from %s: too many messages", self.remote_address[0])
            # Fail the connection as websockets does after a protocol error: the
            # close frame leaves at once and the rest of the flood is dropped
            # unread, where a closing handshake would wait behind all of it.
            close = Close(CloseCode.POLICY_VIOLATION, "too many messages")
            self.protocol.fail(close.code, close.reason)
            self.send_data()
            # Reading may be paused with max_queue full: resume it, so that the
            # client's EOF releases the connection now, not after close_timeout.
            # websockets discards whatever else arrives.
            self.transport.resume_reading()
            raise ConnectionClosedError(None, close)

    def connection_lost(self, exc):
        """Count the connection as closed for its client, whatever ended it."""
        super().connection_lost(exc)
        if self.client is not None:
            CLIENTS.disconnect(self.client)


class OpenConnections:
    """How many connections are open now, counted by connection_slot()."""

    # Not len(server.connections): websockets builds a new set per call.
    count = 0


@contextlib.contextmanager
def connection_slot():
    """Count a connection as open while it lasts; yield whether it fits the limit."""
    OpenConnections.count += 1
    try:
        fits = OpenConnections.count <= LIMITS.connections
        if not fits:
            log.warning("refusing a connection: %d are open", LIMITS.connections)
        yield fits
    finally:
        OpenConnections.count -= 1


def check_request(connection, request, *, page_port, origins, page=None):
    """Answer GET /healthz, the page's requests if page, and refuse unwelcome handshakes.

    page_port None means that the page is served on this very port.

    """
    if request.path == "/healthz":
        return connection.respond(http.HTTPStatus.OK, "OK\n")
    if page is not None and not is_upgrade(request.headers):
        return page.respond(connection, request)
    # Browsers let any site open WebSockets anywhere, even on a LAN; the
    # Origin header is how a server tells the game's own page from others.
    if not is_allowed_origin(request.headers, page_port, origins):
        log.info("refused a connection from another site's page")
        return connection.respond(
            http.HTTPStatus.FORBIDDEN, "Only the game's own page may connect.\n"
        )
    client = client_address(connection.remote_address[0], request.headers)
    if not CLIENTS.connect(client):
        return connection.respond(
            http.HTTPStatus.TOO_MANY_REQUESTS, "Too many connections from your address.\n"
        )
    connection.client = client  # counted as open until connection_lost()
    return None


def is_upgrade(headers):
    """Tell whether a request asks for a WebSocket rather than a page."""
    return any("websocket" in value.lower() for value in headers.get_all("Upgrade"))


def is_allowed_origin(headers, page_port, origins):
    """Tell whether the page that opens a connection is the game's own page."""
    values = headers.get_all("Origin")
    if not values:
        return True  # not a browser: command-line clients send no Origin
    hosts = headers.get_all("Host")
    if len(values) > 1 or len(hosts) != 1:
        return False
    if values[0] in origins:
        return True
    # The page is served from the same host as this server, on page_port,
    # whether that host is reached as localhost, by address or by name.
    try:
        page = urllib.parse.urlsplit(values[0])
        server = urllib.parse.urlsplit("//" + hosts[0])
        default_port = {"http": 80, "https": 443}.get(page.scheme)
        if page_port is None:  # the page is on this port: the same origin exactly
            page_port = server.port or default_port
        return (
            default_port is not None
            and page.hostname is not None
            and page.hostname == server.hostname
            and (page.port or default_port) == page_port
        )
    except ValueError:  # a malformed host or port
        return False
