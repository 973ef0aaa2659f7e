"""The servers under test, each in processes of its own, and what /proc says of them."""

import logging
import os
import re
import argparse
import io
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import redis

from bench import load

log = logging.getLogger("bench")

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
    # app.py sharing its games through a Redis that the benchmark starts.
    "app+redis": (["app.py", "--no-http"], {}),
    # Two app.py on one Redis: red of each game on one, yellow on the other.
    "2 apps+redis": (["app.py", "--no-http"], {}),
    # app.py behind Caddy, as deploy/ sets them up: clients connect over wss://
    # to Caddy, which forwards to app.py's one port.
    "app+caddy": (["app.py", "--trusted-proxy", "127.0.0.1"], {}),
    # app.py on a Redis Cluster of 3 masters and 3 replicas that the benchmark
    # starts; each commit waits for a replica (WAIT), or doesn't.
    "app+cluster": (["app.py", "--no-http"], {}),
    "app+cluster, no WAIT": (["app.py", "--no-http", "--replica-wait", "0"], {}),
}
# The benchmark's clients all come from 127.0.0.1: lift the per-client limits
# of app.py, which an earlier revision's may not know.
UNLIMITED = ["--max-client-connections", "0", "--max-client-games", "0"]
# Servers whose play events are canned, column 0 and row 0, whatever the move.
CANNED = {"floor"}
# Servers that run with --redis: name -> how many app.py processes share one Redis.
SHARED = {"app+redis": 1, "2 apps+redis": 2, "app+cluster": 1, "app+cluster, no WAIT": 1}
# Those of them whose Redis is a cluster.
CLUSTERED = {"app+cluster", "app+cluster, no WAIT"}

# Besides these, "app@REV" is app.py as it was at git revision REV, run from a
# temporary copy of that revision: old and new code measured side by side.
EARLIER_APP = re.compile(r"app@([\w./~^-]+)")


def server_name(name):
    """Check a server's name on the command line: one of SERVERS, or app@REV."""
    if name not in SERVERS and not EARLIER_APP.fullmatch(name):
        raise argparse.ArgumentTypeError(
            f"{name!r} isn't a server: choose from {', '.join(SERVERS)}, or app@REV"
        )
    return name


def app_name(name):
    """Check an app.py server's name on the command line: app, or app@REV."""
    if name != "app" and not EARLIER_APP.fullmatch(name):
        raise argparse.ArgumentTypeError(f"{name!r} isn't app.py: choose app, or app@REV")
    return name


def checkout(revision):
    """A temporary directory holding the project's files as they were at a git revision."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    directory = tempfile.TemporaryDirectory(prefix=f"bench-{revision}-")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory.name, filter="data")
    return directory


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def proc_cpu_seconds(pid):
    """CPU time a process used so far, user and system, from /proc/PID/stat."""
    # The command name, in parentheses, may contain spaces: split after it.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def proc_rss_bytes(pid):
    """A process's resident memory, from /proc/PID/statm."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE


class RedisServer:
    """Debian's redis-server on a free loopback port, its files in a temporary directory.

    Nothing is saved: no snapshots, no append-only file. Stop it with stop().

    """

    def __init__(self, cluster=False):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.directory = tempfile.TemporaryDirectory(prefix="bench-redis-")
        self.port = free_port(cluster)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.directory.name, "--save", "", "--appendonly", "no",
             *(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"] if cluster else [])],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.client = redis.Redis(port=self.port, socket_timeout=10)
        for _ in range(500):
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.01)
        else:
            self.stop()
            raise RuntimeError("redis-server didn't start")
        if self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"redis-server didn't start: {self.output()!r}")
        log.debug("redis-server on port %d", self.port)

    def cpu_seconds(self):
        return proc_cpu_seconds(self.process.pid)

    def rss_bytes(self):
        return proc_rss_bytes(self.process.pid)

    def commands(self):
        """Commands that clients sent so far, by name, from INFO commandstats.

        Commands that scripts run count too, under their own names; the INFO
        commands that this method sends don't count.

        """
        stats = self.client.info("commandstats")
        counts = {
            name.removeprefix("cmdstat_"): value["calls"]
            for name, value in stats.items()
            if name != "cmdstat_info"
        }
        counts["all from clients"] = self.client.info("stats")["total_commands_processed"]
        return counts

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """Stop redis-server, which saves nothing, and remove its directory."""
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.directory.cleanup()


class Caddy:
    """Debian's caddy with deploy/Caddyfile on a free loopback port, ``tls internal``.

    Its certificate comes from Caddy's own local authority, which the
    benchmark's clients trust (load.TLS). Stop it with stop().

    """

    def __init__(self):
        if shutil.which("caddy") is None:
            raise RuntimeError("caddy is not installed (apt-get install caddy)")
        self.directory = tempfile.TemporaryDirectory(prefix="bench-caddy-")
        self.port, self.process = free_port(), None
        self.url = f"https://localhost:{self.port}"

    def start(self, app_uri):
        """Start Caddy in front of app.py at app_uri; return the uri clients connect to."""
        app_port = int(app_uri.rstrip("/").rpartition(":")[2])
        root = Path(self.directory.name)
        site = (ROOT / "deploy" / "Caddyfile").read_text()
        site = site.replace("connect4.example.org {", f"localhost:{self.port} {{\n\ttls internal")
        site = site.replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
        (root / "Caddyfile").write_text(
            f"{{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n"
            f"\thttp_port {free_port()}\n\thttps_port {self.port}\n"
            f"\tstorage file_system {root / 'data'}\n}}\n{site}"
        )
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            ["caddy", "run", "--config", str(root / "Caddyfile"), "--adapter", "caddyfile"],
            env=os.environ | {"HOME": str(root), "XDG_CONFIG_HOME": str(root / "config")},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        uri = f"wss://localhost:{self.port}/"
        load.TLS[uri] = self.wait_for_certificate(root / "data/pki/authorities/local/root.crt")
        return uri

    def wait_for_certificate(self, authority):
        """Wait until Caddy serves /healthz over TLS; return TLS settings that trust it."""
        for _ in range(1000):
            try:
                context = ssl.create_default_context(cafile=authority)
                with socket.create_connection(("localhost", self.port), timeout=1) as raw:
                    with context.wrap_socket(raw, server_hostname="localhost") as tls:
                        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        if tls.recv(100).startswith(b"HTTP/1.1 200"):
                            return context
            except (OSError, ssl.SSLError):
                if self.process.poll() is not None:
                    break
            time.sleep(0.01)
        self.log.seek(0)
        raise RuntimeError(f"caddy didn't start: {self.log.read()!r}")

    def cpu_seconds(self):
        return proc_cpu_seconds(self.process.pid)

    def rss_bytes(self):
        return proc_rss_bytes(self.process.pid)

    def stop(self):
        """Stop caddy and remove its directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.directory.cleanup()


def free_port(cluster=False):
    """A free loopback port; for a cluster node, its bus port (10,000 above) free too."""
    while True:
        # Bound and released at once: the servers started here can't pick a port.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not cluster:
            return port
        if port <= 55_535:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port + 10_000))
                    return port
                except OSError:
                    pass


class RedisClusterNodes:
    """A Redis Cluster of 3 masters and 3 replicas on loopback ports, read as one redis-server.

    CPU time, memory and commands are added up over the six nodes.

    """

    def __init__(self):
        self.nodes = []
        try:
            for _ in range(6):
                self.nodes.append(RedisServer(cluster=True))
            addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
            subprocess.run(
                ["redis-cli", "--cluster", "create", *addresses,
                 "--cluster-replicas", "1", "--cluster-yes"],
                capture_output=True, check=True, timeout=60,
            )  # fmt: skip
            for _ in range(600):
                infos = [node.client.execute_command("CLUSTER", "INFO") for node in self.nodes]
                if all(b"cluster_state:ok" in info for info in infos):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("the Redis Cluster didn't become ready")
        except BaseException:
            self.stop()
            raise
        self.url = self.nodes[0].url

    def cpu_seconds(self):
        return sum(node.cpu_seconds() for node in self.nodes)

    def rss_bytes(self):
        return sum(node.rss_bytes() for node in self.nodes)

    def commands(self):
        """Commands that clients sent so far, by name, added up over the nodes."""
        counts = {}
        for node in self.nodes:
            for name, calls in node.commands().items():
                counts[name] = counts.get(name, 0) + calls
        return counts

    def stop(self):
        for node in self.nodes:
            node.stop()



class Server:
    """A server started on ephemeral loopback ports; stop it with stop() or ``with``.

    Most servers are one process. A Redis server ("app+redis", "2 apps+redis")
    is a redis-server of its own and one or more app.py processes sharing it;
    uris then lists each process's address, and the CPU time and memory of
    the app processes are added up, redis-server's being counted apart.

    It inherits the benchmark's limit of open files, which __main__ raises.

    """

    def __init__(self, name, options=()):
        self.name = name
        self.redis = self.checkout = None
        if earlier := EARLIER_APP.fullmatch(name):
            self.checkout = checkout(earlier[1])
            (args, env), self.cwd = SERVERS["app"], Path(self.checkout.name)
        else:
            (args, env), self.cwd = SERVERS[name], ROOT
            if name != "floor":
                args = [*args, *UNLIMITED]
        args = [*args, *options]
        self.processes, self.uris = [], []
        self.caddy = None
        # The logs go to files: a pipe that nobody reads would fill and block a server.
        self.logs = []
        try:
            if name in SHARED:
                self.redis = RedisClusterNodes() if name in CLUSTERED else RedisServer()
                args = [*args, "--redis", self.redis.url]
            if name == "app+caddy":
                self.caddy = Caddy()
                args = [*args, "--public-url", self.caddy.url]
            for _ in range(SHARED.get(name, 1)):
                self.start(args, env)
            if self.caddy is not None:
                self.uris = [self.caddy.start(self.uris[0])]
        except BaseException:
            self.stop()
            raise
        self.uri = self.uris[0]
        self.canned = name in CANNED

    def start(self, args, env):
        """Start one process of the server and wait for its address."""
        self.logs.append(tempfile.TemporaryFile("w+"))
        process = subprocess.Popen(
            [sys.executable, *args, "--host", "127.0.0.1", "--port", "0"],
            cwd=self.cwd,
            env=os.environ | env,
            stdout=subprocess.PIPE,
            stderr=self.logs[-1],
            text=True,
        )
        self.processes.append(process)
        line = process.stdout.readline()
        port = re.search(r"WebSocket server on port (\d+)", line)
        if port is None:
            raise RuntimeError(f"{self.name} didn't start: {line!r} {self.errors()}")
        self.uris.append(f"ws://127.0.0.1:{port[1]}/")

    def cpu_seconds(self):
        """CPU time the server's app processes used so far, user and system, added up."""
        caddy = self.caddy.cpu_seconds() if self.caddy is not None else 0
        return caddy + sum(proc_cpu_seconds(process.pid) for process in self.processes)

    def rss_bytes(self):
        """The resident memory of the server's app processes, and Caddy's, added up."""
        caddy = self.caddy.rss_bytes() if self.caddy is not None else 0
        return caddy + sum(proc_rss_bytes(process.pid) for process in self.processes)

    def stop(self):
        """Stop the server with SIGTERM, as systemd would, and wait for it; then its Redis."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        if self.redis is not None:
            self.redis.stop()
        if self.caddy is not None:
            self.caddy.stop()
        if self.checkout is not None:
            self.checkout.cleanup()

    def errors(self):
        """Lines of the server's logs that report errors or warnings."""
        lines = []
        for log_file in self.logs:
            log_file.seek(0)
            lines += [
                line.rstrip()
                for line in log_file
                if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)
            ]
        return lines

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
