"""The command line: ``python app.py --help``.

run() reads the options, sets ``LIMITS`` from them, sets up logging, and
runs app.py's main() on the event loop until it returns, turning the errors
a person can fix into a one-line message.

"""

import argparse
import asyncio
import logging
import os
import sys

from games.exceptions import StorageUnreachable
from server.clients import proxy_network
from server.limits import LIMITS
from server.page import public_url
from server.serving import PortInUse

__all__ = ["run", "parse_args", "event_loop_factory"]


def run(main, argv=None):
    """Run main(args), a coroutine function, with the options on the command line."""
    args = parse_args(argv)
    LIMITS.games, LIMITS.connections = args.max_games, args.max_connections
    LIMITS.grace, LIMITS.computer_delay = args.grace, args.computer_delay
    LIMITS.client_connections = args.max_client_connections
    LIMITS.client_games = args.max_client_games
    LIMITS.trusted_proxies = tuple(args.trusted_proxy)
    LIMITS.replica_wait = args.replica_wait
    set_up_logging(args.verbose)
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(main(args))
    except KeyboardInterrupt:
        pass  # Ctrl-C where signal handlers aren't available: main() closed everything
    except StorageUnreachable as exc:
        sys.exit(f"app.py: {exc}")
    except PortInUse as exc:
        port, option = exc.args
        sys.exit(
            f"app.py: port {port} is already in use, maybe by another copy of this game. "
            f"Stop it or choose another port with {option}."
        )


def set_up_logging(verbose):
    """Log the server's news, and every event with --verbose."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        level=logging.DEBUG if verbose else logging.INFO,
    )
    # websockets logs every connection at INFO: too much for a game server.
    logging.getLogger("websockets").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("redis").setLevel(logging.WARNING)


def event_loop_factory():
    """Choose the event loop: uvloop, which is faster, when it is installed."""
    try:
        import uvloop
    except ImportError:
        return None  # asyncio's own
    return uvloop.new_event_loop


def parse_args(argv=None):
    """Read the command line; PORT in the environment sets the default --port."""
    parser = argparse.ArgumentParser(description="Play Connect Four in the browser.")
    add_serving_options(parser)
    add_internet_options(parser)
    add_game_options(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every event")
    args = parser.parse_args(argv)
    if args.reuse_port and not args.redis:
        # Each process would hold its own games: a join link would work
        # only when it reached the process that started the game.
        parser.error("--reuse-port needs --redis: processes sharing ports must share the games")
    if args.public_url and not args.http:
        parser.error("--public-url serves the page and the game on one port: drop --no-http")
    if (args.certfile is None) != (args.keyfile is None):
        parser.error("--certfile and --keyfile go together")
    return args


def add_serving_options(parser):
    """Options for where to listen and whom to accept."""
    parser.add_argument(
        "--host",
        help="interface to listen on (default: all, so that friends on your network can join)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8001")),
        help="WebSocket port (default: $PORT or 8001; 0 picks a free one)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=8000,
        help="port of the web page (default: 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--no-http",
        dest="http",
        action="store_false",
        help="serve the WebSocket only, e.g. behind `python -m http.server`",
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="URL",
        help="also accept WebSocket connections from pages at this origin, "
        "e.g. https://game.example (repeatable)",
    )


def add_internet_options(parser):
    """Options for serving on the internet: the public address, TLS, per-client limits."""
    parser.add_argument(
        "--public-url",
        type=public_url,
        default=os.environ.get("PUBLIC_URL") or None,
        metavar="URL",
        help="the address players open, e.g. https://connect4.example.org: serve the page "
        "and the game on --port alone, and give links there (default: $PUBLIC_URL)",
    )
    parser.add_argument(
        "--trusted-proxy",
        type=proxy_network,
        action="append",
        default=[],
        metavar="ADDRESS",
        help="read the client's address from X-Forwarded-For on connections from this "
        "address or network, e.g. 127.0.0.1 for a proxy on this machine (repeatable)",
    )
    parser.add_argument(
        "--max-client-connections",
        type=int,
        default=LIMITS.client_connections,
        metavar="N",
        help=f"open connections from one address (default: {LIMITS.client_connections}; "
        "0: no limit)",
    )
    parser.add_argument(
        "--max-client-games",
        type=int,
        default=LIMITS.client_games,
        metavar="N",
        help=f"new games a minute from one address (default: {LIMITS.client_games}; "
        "0: no limit)",
    )
    parser.add_argument("--certfile", help="serve over TLS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the private key of --certfile (PEM)")


def add_game_options(parser):
    """Options for how many games, how long they wait, and where they live."""
    parser.add_argument(
        "--max-games", type=int, default=LIMITS.games, help="games in progress at once"
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=LIMITS.connections,
        help="open WebSocket connections at once",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=LIMITS.grace,
        metavar="SECONDS",
        help="how long a seat, and a game nobody is in, wait for players to come back "
        f"(default: {LIMITS.grace:g})",
    )
    parser.add_argument(
        "--computer-delay",
        type=float,
        default=LIMITS.computer_delay,
        metavar="SECONDS",
        help="the least time a computer player takes to move, to look natural "
        f"(default: {LIMITS.computer_delay:g})",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL"),
        metavar="URL",
        help="share the games with every app.py using this Redis, e.g. redis://localhost:6379/0 "
        "(default: $REDIS_URL, or keep games in this process's memory)",
    )
    parser.add_argument(
        "--replica-wait",
        type=float,
        default=LIMITS.replica_wait,
        metavar="SECONDS",
        help="with --redis on a Redis Cluster: how long a move waits at most for a replica "
        f"to have it, so that a master's death can't lose it; 0: don't wait "
        f"(default: {LIMITS.replica_wait:g})",
    )
    parser.add_argument(
        "--reuse-port",
        action="store_true",
        help="let several app.py --redis share the same ports, the system spreading "
        "connections among them (Linux, BSDs)",
    )
