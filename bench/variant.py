"""app.py with some of its settings back at websockets' defaults, to see what each buys.

  python -m bench.variant compression,loop [app.py's options]

Settings: "compression" (permessage-deflate), "loop" (asyncio's own instead
of uvloop) and "limits" (max_size, max_queue and write_limit). The benchmark
runs these as the servers app+compression, app+loop and app+limits.

"""

import functools
import sys

import app
from server import command_line

# websockets' own values of the settings that app.py changes, by name.
DEFAULTS = {
    "compression": {"compression": "deflate"},
    "limits": {"max_size": 2**20, "max_queue": 16, "write_limit": 2**15},
}


def main(names, argv):
    """Run app.py with the named settings at websockets' defaults."""
    options = {}
    for name in names:
        options |= DEFAULTS.get(name, {})
    app.websocket_server = functools.partial(app.websocket_server, **options)
    if "loop" in names:
        command_line.event_loop_factory = lambda: None
    app.run(argv)


if __name__ == "__main__":
    main(sys.argv[1].split(","), sys.argv[2:])
