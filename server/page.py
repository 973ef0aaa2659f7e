"""Serve the game's web page beside the game server, so that one command is enough.

The tutorial serves the page with ``python -m http.server`` in a second
terminal. ``python app.py`` does it itself, on port 8000, and rewrites two
``<meta>`` tags of ``index.html``: where the WebSocket server listens, and the
address that friends on the network can open.

The HTTP server is websockets' own: ``serve()`` parses each request and calls
``process_request``, which answers every one of them here, so that no
WebSocket ever opens on the page's port. That brings, with no code of ours,
a deadline for each request (``open_timeout``), bounded headers, no thread
per connection, and silence when a client goes away.

"""

import http
import logging
import re
import socket
import urllib.parse
from pathlib import Path

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

__all__ = [
    "Page",
    "page_server",
    "lan_address",
    "is_loopback",
    "public_url",
    "public_origin",
    "websocket_url",
]

log = logging.getLogger("connect4")

ROOT = Path(__file__).resolve().parent.parent  # the project's folder

# The page's files: the tutorial's four at the top, and the modules that
# main.js imports in page/. Nothing else is served: not app.py, not .git.
PAGE_FILES = [
    "index.html",
    "main.js",
    "connect4.js",
    "connect4.css",
    *sorted(f"page/{module.name}" for module in (ROOT / "page").glob("*.js")),
]
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# Request paths to the files they serve.
FILES = {"/": "index.html"} | {f"/{name}": name for name in PAGE_FILES}

HEADERS = {
    # The page runs its own files only: an injected script or style can't
    # run, and other sites can't frame it to trick clicks.
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    # The page's address holds the join or watch key: never send it onward.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    # One request per connection: the server answers, then hangs up.
    "Connection": "close",
}

# A request must arrive whole within this many seconds; a client that sends
# half of one then waits holds nothing longer than that.
REQUEST_TIMEOUT = 10


def meta_tag(name):
    """Match the <meta> tag with this name, whatever its spacing, quotes and order."""
    return re.compile(
        rb"<meta\b[^>]*\bname\s*=\s*[\"']?%s[\"']?(?=[\s/>])[^>]*>" % re.escape(name.encode()),
        re.IGNORECASE,
    )


WEBSOCKET_META = meta_tag("websocket")
INVITE_META = meta_tag("invite-origin")


class Page:
    """The page's files and what the server tells the page about itself.

    With a public_url, e.g. https://connect4.example.org, the page connects
    to the game there and hands out links there, wherever it was opened.

    """

    def __init__(self, websocket_port=8001, lan_origin=None, public_url=None):
        self.websocket_port = websocket_port  # where the page connects
        self.lan_origin = lan_origin  # e.g. http://192.168.1.5:8000, if known
        self.public_url = public_url

    def respond(self, connection, request):
        """Answer an HTTP request with a file of the page, or 404."""
        path = urllib.parse.urlsplit(request.path).path
        if path not in FILES:
            response = connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found\n")
        else:
            name = FILES[path]
            body = (ROOT / name).read_bytes()
            if name == "index.html":
                body = self.configure(body, request.headers.get("Host", ""))
            headers = Headers(HEADERS)
            headers["Content-Type"] = CONTENT_TYPES[Path(name).suffix]
            headers["Content-Length"] = str(len(body))
            response = Response(http.HTTPStatus.OK, "OK", headers, body)
        # The query string holds the keys: it stays out of the log.
        log.debug("http GET %s %d", path, response.status_code)
        return response

    def configure(self, body, host):
        """Point the page at this WebSocket server and at an address friends can use."""
        if self.public_url is not None:
            return self.configure_public(body)
        tag = b'<meta name="websocket" content=":%d">' % self.websocket_port
        body = WEBSOCKET_META.sub(tag, body, count=1)
        # A page opened on localhost would invite a friend to *their* localhost.
        hostname = urllib.parse.urlsplit("//" + host).hostname
        if self.lan_origin and is_loopback(hostname):
            tag = b'<meta name="invite-origin" content="%s">' % self.lan_origin.encode()
            body = INVITE_META.sub(tag, body, count=1)
        return body


    def configure_public(self, body):
        """Point the page at the game and the links at the public address."""
        tag = b'<meta name="websocket" content="%s">' % websocket_url(self.public_url).encode()
        body = WEBSOCKET_META.sub(tag, body, count=1)
        tag = b'<meta name="invite-origin" content="%s">' % self.public_url.encode()
        return INVITE_META.sub(tag, body, count=1)


def public_url(text):
    """Read a --public-url: an http or https URL with a host, as people type it."""
    url = urllib.parse.urlsplit(text.strip())
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise ValueError(f"{text!r} isn't an address such as https://connect4.example.org")
    url.port  # raises ValueError for a port that isn't a number
    return urllib.parse.urlunsplit((url.scheme, url.netloc, url.path or "/", "", ""))


def public_origin(url):
    """The origin of the page at a public URL, as browsers send it: no path."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def websocket_url(url):
    """The game's WebSocket address at a public URL: wss: for https:, ws: for http:."""
    parts = urllib.parse.urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path, "", ""))


async def refuse(connection):
    """Never runs: every request to the page's port gets an HTTP response."""


def page_server(page, host=None, port=8000, **options):
    """Create the page's HTTP server; use it with ``async with``.

    options go to the event loop's ``create_server()``, e.g. ``reuse_port``.

    """
    return serve(
        refuse,
        host,
        port,
        **options,
        process_request=page.respond,
        open_timeout=REQUEST_TIMEOUT,
        server_header="connect4",
        # Each response goes through websockets' connection-rejected path:
        # its INFO line for each file served is noise.
        logger=_quiet_logger,
    )


_quiet_logger = logging.getLogger("connect4.page")
_quiet_logger.setLevel(logging.WARNING)


def is_loopback(host):
    """Tell whether a host name or address only reaches this machine."""
    return host is not None and (
        host == "localhost" or host.startswith("127.") or host == "::1"
    )


def lan_address():
    """Guess the address of this machine on the local network, or return None."""
    # Connecting a UDP socket sends nothing: it only asks the kernel which
    # interface would route to that (documentation-only) address.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if is_loopback(address) or address == "0.0.0.0" else address
