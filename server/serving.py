"""Setting the servers up: the game's WebSocket server, the page's, and what to open.

app.py's main() runs serve() with the command line's options; tests and the
benchmark create the WebSocket server alone, with app.websocket_server().

"""

import asyncio
import contextlib
import errno
import functools
import logging
import signal
import ssl

from websockets.asyncio.server import serve as serve_websocket

from server import page
from server.hardening import MAX_SIZE, GameConnection, check_request

__all__ = ["websocket_server", "serve", "PortInUse"]

log = logging.getLogger("connect4")


class PortInUse(Exception):
    """A port the server needs is taken by another program."""


def websocket_server(
    handler, host=None, port=8001, *, page_port=8000, origins=(), page=None, **options
):
    """Create the game's WebSocket server with handler; use it with ``async with``.

    It accepts connections from the page served on page_port of the same host,
    from the other origins listed, and from clients that aren't browsers.
    With page, a page.Page, it serves the page too, on the same port: a
    request for a WebSocket is a game, any other is for the page. Any
    setting can be replaced with options: the benchmark's variants put
    websockets' defaults back, and its floor server swaps the handler.

    """
    settings = dict(
        handler=handler,
        process_request=functools.partial(
            check_request,
            page_port=None if page is not None else page_port,
            origins=frozenset(origin.rstrip("/") for origin in origins),
            page=page,
        ),
        create_connection=GameConnection,
        # Events are a few dozen bytes: compressing them costs CPU and memory
        # for nothing, and a small max_size stops floods of junk early.
        compression=None,
        max_size=MAX_SIZE,
        # A client sends an event per click and reads what it's sent: a few
        # queued events or KiB unsent bound what one connection can hold.
        max_queue=4,
        write_limit=4096,
        # Shut down within a few seconds even if a client doesn't answer.
        close_timeout=3,
        server_header="connect4",
    )
    return serve_websocket(host=host, port=port, **settings | options)


async def serve(websocket_server, args):
    """Serve the game, and the page unless told not to, until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with contextlib.AsyncExitStack() as servers:
        if args.public_url:
            await serve_one_port(servers, websocket_server, args)
        else:
            await serve_two_ports(servers, websocket_server, args)
        # Leaving this block closes every connection with 1001 (going away).
        await stop.wait()
        log.info("shutting down")


async def serve_one_port(servers, websocket_server, args):
    """Serve the page and the game on one port, for players at args.public_url."""
    front_end = page.Page(public_url=args.public_url)
    with explain_port_in_use(args.port, "--port"):
        server = await servers.enter_async_context(
            websocket_server(
                args.host,
                args.port,
                page=front_end,
                origins=[page.public_origin(args.public_url), *args.origin],
                reuse_port=args.reuse_port,
                ssl=tls_context(args),
            )
        )
    # print(), not the log: this line is for a person, and tests read it.
    print(
        f"Connect Four: players open {args.public_url} "
        f"(page and WebSocket server on port {bound_port(server)}).",
        flush=True,
    )


async def serve_two_ports(servers, websocket_server, args):
    """Serve the game on args.port and, unless told not to, the page on args.http_port."""
    # The page first: the WebSocket server accepts pages from its port.
    front_end, page_port, tls = None, args.http_port, tls_context(args)
    if args.http:
        front_end = page.Page()
        with explain_port_in_use(args.http_port, "--http-port"):
            page_port = bound_port(
                await servers.enter_async_context(
                    page.page_server(
                        front_end, args.host, args.http_port, reuse_port=args.reuse_port, ssl=tls
                    )
                )
            )
    with explain_port_in_use(args.port, "--port"):
        server = await servers.enter_async_context(
            websocket_server(
                args.host,
                args.port,
                page_port=page_port,
                origins=args.origin,
                reuse_port=args.reuse_port,
                ssl=tls,
            )
        )
    websocket_port = bound_port(server)
    if front_end is not None:
        front_end.websocket_port = websocket_port
        front_end.lan_origin = lan_origin(args.host, page_port, tls)
    announce_address(args.host, page_port if front_end else None, websocket_port, tls)


def tls_context(args):
    """The TLS settings of --certfile and --keyfile, or None to serve without TLS."""
    if args.certfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.certfile, args.keyfile)
    return context


def stop_on_signals(stop):
    """Set stop on SIGTERM (from service managers) and SIGINT (Ctrl-C)."""
    loop = asyncio.get_running_loop()
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    except NotImplementedError:
        # Windows has no add_signal_handler. There, Ctrl-C makes asyncio.Runner
        # cancel main(), which closes the servers just the same; run() says
        # goodbye quietly.
        pass


def bound_port(server):
    """The port that a server listens on, which the OS picked if asked for port 0."""
    return server.sockets[0].getsockname()[1]


def lan_origin(host, page_port, tls=None):
    """The page's address for friends on the network, if it listens there."""
    if host not in (None, "", "0.0.0.0", "::"):
        return None
    address = page.lan_address()
    if address is None:
        return None
    scheme = "https" if tls else "http"
    log.info("players on your network can open %s://%s:%d/", scheme, address, page_port)
    return f"{scheme}://{address}:{page_port}"


def announce_address(host, page_port, websocket_port, tls=None):
    """Tell the person who started the server what to open."""
    # print(), not the log: this line is for a person, and tests read it.
    if page_port is not None:
        print(
            f"Connect Four: open {'https' if tls else 'http'}://{url_host(host)}:{page_port}/ "
            f"in your browser (WebSocket server on port {websocket_port}).",
            flush=True,
        )
    else:
        print(
            f"Connect Four: WebSocket server on port {websocket_port}. "
            f"Serve the page yourself, e.g. with: python -m http.server",
            flush=True,
        )


def url_host(host):
    """The host part of a URL that reaches a server listening on host."""
    if host in (None, "", "0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host


@contextlib.contextmanager
def explain_port_in_use(port, option):
    """Turn the error of binding a taken port into PortInUse, naming the option."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(port, option) from None
        raise
