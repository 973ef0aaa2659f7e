"""The servers under test, each in a process of its own, and what /proc says of them."""

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> (command line after `python`, extra environment)
SERVERS = {
    # websockets alone, with app.py's settings: the least a server can cost.
    "floor": (["-m", "bench.floor"], {}),
    "app": (["app.py", "--no-http"], {}),
    # app.py with websockets' defaults: compression on, the stock asyncio loop, no limits.
    "defaults": (["-m", "bench.variant", "compression,loop,limits", "--no-http"], {}),
    # app.py with one of its settings back at websockets' default.
    "app+compression": (["-m", "bench.variant", "compression", "--no-http"], {}),
    "app+loop": (["-m", "bench.variant", "loop", "--no-http"], {}),
    "app+limits": (["-m", "bench.variant", "limits", "--no-http"], {}),
    # app.py whose computer players move as soon as they know their move.
    "app, computer moving at once": (["app.py", "--no-http", "--computer-delay", "0"], {}),
}

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Server:
    """A server started on an ephemeral loopback port; stop it with stop() or ``with``.

    It inherits the benchmark's limit of open files, which __main__ raises.

    """

    def __init__(self, name):
        args, env = SERVERS[name]
        self.name = name
        # The log goes to a file: a pipe that nobody reads would fill and block the server.
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, *args, "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT,
            env=os.environ | env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self.process.stdout.readline()
        port = re.search(r"WebSocket server on port (\d+)", line)
        if port is None:
            self.stop()
            raise RuntimeError(f"{name} didn't start: {line!r} {self.errors()}")
        self.uri = f"ws://127.0.0.1:{port[1]}/"

    def cpu_seconds(self):
        """CPU time the server used so far, user and system, from /proc/PID/stat."""
        # The command name, in parentheses, may contain spaces: split after it.
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / CLOCK_TICKS

    def rss_bytes(self):
        """The server's resident memory, from /proc/PID/statm."""
        return int(Path(f"/proc/{self.process.pid}/statm").read_text().split()[1]) * PAGE_SIZE

    def stop(self):
        """Stop the server with SIGTERM, as systemd would, and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def errors(self):
        """Lines of the server's log that report errors or warnings."""
        self.log.seek(0)
        return [
            line.rstrip()
            for line in self.log
            if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)
        ]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
