"""What the tests share besides fixtures: timing, games, clients' helpers, servers run as processes.

Test files import these from here; tests/conftest.py re-exports them too.

"""

import asyncio
import contextlib
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from connect4 import PLAYER1, Connect4

ROOT = Path(__file__).resolve().parent.parent

# Every wait in the tests is a number of MS, as in websockets' own tests: on a
# slow machine, CONNECT4_TESTS_TIMEOUT_FACTOR=10 makes each ten times longer.
MS = 0.001 * float(os.environ.get("CONNECT4_TESTS_TIMEOUT_FACTOR", "1"))


# Games as the columns played, red first; test_connect4.py checks that each
# ends as its name says.

# Red drops four checkers in column 0 while yellow plays column 1.
RED_WINS = [0, 1, 0, 1, 0, 1, 0]

# Red wins on the rising diagonal from column 1 to column 4, in 11 moves.
RED_WINS_DIAGONAL = [1, 2, 2, 3, 4, 3, 3, 4, 5, 4, 4]

# Yellow stacks four in column 1 while red scatters.
YELLOW_WINS = [0, 1, 2, 1, 3, 1, 5, 1]

# A full board without four in a row: a draw on the 42nd move.
DRAW = [0, 5, 3, 1, 6, 4, 2] * 6


async def send(websocket, **event):
    """Send an event as JSON."""
    await websocket.send(json.dumps(event))


async def receive(websocket, timeout=2000 * MS):
    """Receive the next event, failing the test if none comes in time."""
    return json.loads(await asyncio.wait_for(websocket.recv(), timeout))


async def assert_nothing_received(websocket, wait=50 * MS):
    """Check that the server sent nothing to this connection."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(websocket.recv(), wait)


async def play_moves(red, yellow, columns, watchers=(), *, played=()):
    """Play columns in turn, checking that everyone hears each move and the result as the rules say.

    red and yellow are the connections of the players with these colours now;
    played are the columns of the game played before, red first. Return the
    event that ended the game if these columns end it, else the last move's.

    """
    game = Connect4()
    for column in played:
        game.play(game.next_player, column)
    everyone = [red, yellow, *watchers]

    async def everyone_hears(event):
        # Across processes sharing Redis, events take longer to reach everyone.
        heard = [await receive(websocket, 5000 * MS) for websocket in everyone]
        assert heard == [event] * len(everyone), heard
        return event

    event = None
    for column in columns:
        player = game.next_player
        row = game.play(player, column)
        await send(red if player == PLAYER1 else yellow, type="play", column=column)
        event = {"type": "play", "player": player, "column": column, "row": row}
        await everyone_hears(event)
    if game.over:
        event = {"type": "win", "player": game.winner} if game.winner else {"type": "draw"}
        await everyone_hears(event)
    return event


async def drain(websocket, quiet=300 * MS):
    """Receive events until none comes for a while; return them."""
    events = []
    while True:
        try:
            events.append(await receive(websocket, timeout=quiet))
        except TimeoutError:
            return events


def http_get(port, path, host="127.0.0.1", headers=None):
    """Make a blocking HTTP GET request and return the status, headers and body."""
    return get(http.client.HTTPConnection(host, port, timeout=5000 * MS), path, headers)


def get(connection, path, headers=None):
    """Send a GET request on an http.client connection; return the status, headers and body."""
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


class AppProcess:
    """`python app.py` running in a subprocess, on ephemeral loopback ports.

    Both of its pipes are read for as long as it runs, so that a chatty server
    never blocks on a full pipe; `log` holds what it wrote to stderr.

    """

    def __init__(self, *args, port=0, env=None, program=("app.py",)):
        # The page's port too: the default, 8000, may be serving a real game.
        command = [sys.executable, *program, "--host", "127.0.0.1", "--http-port", "0"]
        # Every test client comes from 127.0.0.1: a test of the per-client
        # limits sets them again after these.
        command += ["--max-client-connections", "0", "--max-client-games", "0"]
        if port is not None:
            command += ["--port", str(port)]
        self.process = subprocess.Popen(
            command + list(args),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # So that kill() stops its worker processes with it.
            start_new_session=True,
        )
        self.signalled = False
        self._stdout = queue.Queue()
        self._stderr = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self._stdout.put)),
            threading.Thread(target=self._read, args=(self.process.stderr, self._stderr.append)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()
        try:
            line = self._stdout.get(timeout=20_000 * MS) or ""
        except queue.Empty:
            line = ""
        ports = re.search(r"(?:http://[^/]+:(\d+)/ .*)?port (\d+)", line)
        if not ports:
            self.kill()
            pytest.fail(f"app.py didn't print its address: {line!r}\n{self.log}", pytrace=False)
        self.http_port = ports[1] and int(ports[1])
        self.websocket_port = int(ports[2])
        self.url = f"http://127.0.0.1:{self.http_port}/"
        self.uri = f"ws://127.0.0.1:{self.websocket_port}/"

    @staticmethod
    def _read(stream, sink):
        for line in stream:
            sink(line)
        sink(None)

    @property
    def log(self):
        """What the server wrote to stderr so far."""
        return "".join(line for line in list(self._stderr) if line is not None)

    def signal(self, signum=signal.SIGTERM):
        """Ask the server to stop, as systemd or Ctrl-C would."""
        self.signalled = True
        self.process.send_signal(signum)

    def stop(self, timeout=5000 * MS):
        """Stop the server unless asked already; return its exit code and its log."""
        # A second signal during shutdown would kill the process instead.
        if not self.signalled:
            self.signal()
        self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=timeout)
        return self.process.returncode, self.log

    def kill(self):
        """Stop the server at once, and the worker processes it started."""
        # Its own process group (see __init__): the solver's workers go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self, timeout=5000 * MS):
        """Stop the server if it still runs: with SIGTERM, by force if it doesn't stop in time."""
        # SIGTERM lets it stop the solver's workers; SIGKILL is the last resort.
        if self.process.poll() is None and not self.signalled:
            self.signal()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        # Also what it left behind if a test killed it or it didn't stop.
        self.kill()


class RedisServer:
    """Debian's `redis-server`, on an ephemeral loopback port, its files in a temporary directory."""

    def __init__(self, directory, password=None):
        self.directory, self.password = directory, password
        # Bound and released at once: redis-server can't pick a port itself.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = None
        self.start()

    @property
    def url(self):
        """The URL that app.py's --redis takes."""
        secret = f":{self.password}@" if self.password else ""
        return f"redis://{secret}127.0.0.1:{self.port}/0"

    def start(self):
        """Start the server, with the data it saved when it stopped, if any."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.directory), "--save", "", "--appendonly", "yes"]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1000 * MS):
                    return
            except OSError:
                threading.Event().wait(10 * MS)
        pytest.fail("redis-server didn't start")

    def stop(self):
        """Stop the server as a service manager would; it saves its data first."""
        self.process.terminate()
        self.process.wait(timeout=10_000 * MS)

    def command(self, *args):
        """Run a command with redis-cli and return its output."""
        auth = ["-a", self.password, "--no-auth-warning"] if self.password else []
        output = subprocess.run(
            ["redis-cli", "-p", str(self.port), *auth, *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return output.strip()


def require_redis_server():
    """Skip the test without redis-server, unless in CI, where .ci/run installs it."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run should have installed it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")


def require_caddy():
    """Skip the test without caddy, unless in CI, where .ci/run installs it."""
    if shutil.which("caddy") is None:
        if os.environ.get("CI"):
            pytest.fail("caddy is missing: .ci/run should have installed it")
        pytest.skip("caddy is not installed (apt-get install caddy)")


def free_port():
    """A port free on the loopback now, for a server that can't pick one itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_caddyfile(directory, https_port, app_port):
    """deploy/Caddyfile for this machine: localhost, a local certificate, ephemeral ports.

    Only what can't work on loopback changes: the domain becomes localhost on
    https_port, with a certificate from Caddy's own authority (``tls
    internal``), and app.py listens on app_port. Caddy keeps its files in
    directory, answers no admin requests and installs no root certificate.

    """
    deployed = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "connect4.example.org {" in deployed and "127.0.0.1:8000" in deployed
    site = deployed.replace("connect4.example.org {", f"localhost:{https_port} {{\n\ttls internal")
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
    settings = (
        "{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n"
        f"\thttp_port {free_port()}\n\thttps_port {https_port}\n"
        f"\tstorage file_system {directory / 'data'}\n}}\n"
    )
    return settings + site


class CaddyServer:
    """Debian's `caddy` in front of app.py with deploy/Caddyfile, on loopback; see local_caddyfile()."""

    def __init__(self, directory, https_port, app_port):
        self.directory, self.port = directory, https_port
        config = directory / "Caddyfile"
        config.write_text(local_caddyfile(directory, https_port, app_port))
        self.log = open(directory / "caddy.log", "w")
        home = {"HOME": str(directory), "XDG_DATA_HOME": str(directory / "data"),
                "XDG_CONFIG_HOME": str(directory / "config")}  # fmt: skip
        self.process = subprocess.Popen(
            ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
            env=os.environ | home,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"https://localhost:{https_port}/"
        self.uri = f"wss://localhost:{https_port}/"
        self.wait_until_serving()

    def wait_until_serving(self):
        """Wait until Caddy answers HTTPS with the page from app.py."""
        for _ in range(500):
            if self.process.poll() is not None:
                break
            try:
                status, _, _ = https_get(self.port, "/healthz", self.certificate_authority())
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            threading.Event().wait(20 * MS)
        self.stop()
        pytest.fail(f"caddy didn't serve:\n{(self.directory / 'caddy.log').read_text()}")

    def certificate_authority(self):
        """Caddy's local root certificate, which signed the site's."""
        return self.directory / "data" / "pki" / "authorities" / "local" / "root.crt"

    def stop(self):
        """Stop caddy as a service manager would."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def https_get(port, path, cafile, host="localhost", headers=None):
    """Make a blocking HTTPS GET request, trusting cafile; return the status, headers and body."""
    context = ssl.create_default_context(cafile=cafile)
    return get(http.client.HTTPSConnection(host, port, context=context, timeout=5000 * MS), path, headers)
def free_cluster_port():
    """A loopback port that is free, and its cluster bus port (10,000 above) too."""
    # The bus listens on the port plus 10,000, so ports stay at or below 55,535.
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 55_535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
        return port
    pytest.fail("found no free port for a cluster node")


class RedisClusterServers:
    """A Redis Cluster, 3 masters and 3 replicas, of Debian's `redis-server` in temporary folders.

    Each master has a replica, which takes over 2 s after the master dies.

    """

    NODES = 6

    def __init__(self, directory):
        self.directory = directory
        self.ports, self.processes = [], {}
        try:
            for _ in range(self.NODES):
                port = free_cluster_port()
                self.ports.append(port)
                self.start(port)
            addresses = [f"127.0.0.1:{port}" for port in self.ports]
            subprocess.run(
                ["redis-cli", "--cluster", "create", *addresses,
                 "--cluster-replicas", "1", "--cluster-yes"],
                capture_output=True, text=True, check=True, timeout=60,
            )  # fmt: skip
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self):
        """The URL that app.py's --redis takes: any node of the cluster."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self, port):
        """Start one node of the cluster."""
        directory = self.directory / str(port)
        directory.mkdir(exist_ok=True)
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--dir", str(directory), "--save", "", "--appendonly", "no"]
        command += ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"]
        command += ["--cluster-config-file", "nodes.conf"]
        self.processes[port] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                threading.Event().wait(10 * MS)
        pytest.fail("redis-server didn't start")

    def command(self, port, *args):
        """Run a command on one node with redis-cli and return its output."""
        return subprocess.run(
            ["redis-cli", "-p", str(port), *args],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip

    def get(self, key):
        """Read a string key wherever its slot is, following redirects."""
        return subprocess.run(
            ["redis-cli", "-c", "-p", str(self.alive()[0]), "GET", key],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip

    def alive(self):
        """The ports of the nodes that run."""
        return [port for port, process in self.processes.items() if process.poll() is None]

    def masters(self):
        """The ports of the masters that run, as the cluster sees them."""
        nodes = self.command(self.alive()[0], "CLUSTER", "NODES").splitlines()
        return [
            int(fields[1].split(":")[1].split("@")[0])
            for fields in (line.split() for line in nodes)
            if "master" in fields[2] and "fail" not in fields[2]
        ]

    def master_of(self, key):
        """The port of the master that holds a key's slot, from CLUSTER NODES."""
        slot = int(self.command(self.alive()[0], "CLUSTER", "KEYSLOT", key))
        for line in self.command(self.alive()[0], "CLUSTER", "NODES").splitlines():
            fields = line.split()
            for served in fields[8:]:
                first, _, last = served.partition("-")
                if served[0] != "[" and int(first) <= slot <= int(last or first):
                    return int(fields[1].split(":")[1].split("@")[0])
        raise LookupError(f"no master holds slot {slot}")

    def wait_until_ready(self, timeout=30):
        """Wait until every slot is served and every replica in sync."""
        for _ in range(int(timeout / 0.05)):
            states = [self.command(port, "CLUSTER", "INFO") for port in self.alive()]
            synced = [
                "master_link_status:up" in info or "role:master" in info
                for info in (self.command(port, "INFO", "replication") for port in self.alive())
            ]
            if all("cluster_state:ok" in state for state in states) and all(synced):
                return
            threading.Event().wait(0.05)
        pytest.fail("the Redis Cluster didn't become ready")

    def kill(self, port):
        """Kill a node at once, as a crash would."""
        self.processes[port].kill()
        self.processes[port].wait()

    def stop(self):
        """Kill every node still running."""
        for port in self.alive():
            self.kill(port)


def require_redis_cluster():
    """Skip the test without redis-server and redis-cli, unless in CI."""
    require_redis_server()
    if shutil.which("redis-cli") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-cli is missing: .ci/run should have installed it")
        pytest.skip("redis-cli is not installed (apt-get install redis-tools)")
