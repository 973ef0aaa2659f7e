"""deploy/: the Caddyfile in front of app.py on loopback, and the systemd units."""

import asyncio
import re
import shutil
import ssl
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from conftest import ROOT, receive, send
from utils import CaddyServer, free_port, https_get, require_caddy


@pytest.fixture
def behind_caddy(app_process, tmp_path):
    """Start app.py as deploy/connect4.service does, with Caddy in front; return both."""
    require_caddy()
    caddy_port = free_port()

    def start(*args):
        app = app_process(
            "--public-url", f"https://localhost:{caddy_port}", "--trusted-proxy", "127.0.0.1",
            *args,
        )  # fmt: skip
        caddy = CaddyServer(tmp_path, caddy_port, app.websocket_port)
        started.append(caddy)
        return app, caddy

    started = []
    yield start
    for caddy in started:
        caddy.stop()


async def open_through(caddy, address="127.0.0.1", **options):
    """Open a connection to the game through Caddy, from address, as the page would."""
    return await connect(
        caddy.uri,
        ssl=ssl.create_default_context(cafile=caddy.certificate_authority()),
        origin=caddy.url.rstrip("/"),
        local_addr=(address, 0),
        **options,
    )


def test_caddy_serves_the_page_with_the_game_at_wss(behind_caddy):
    app, caddy = behind_caddy()
    status, headers, body = https_get(caddy.port, "/", caddy.certificate_authority())
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'content="wss://localhost:{caddy.port}/"'.encode() in body
    assert f'content="https://localhost:{caddy.port}/"'.encode() in body
    assert https_get(caddy.port, "/page/connection.js", caddy.certificate_authority())[0] == 200
    assert https_get(caddy.port, "/healthz", caddy.certificate_authority())[2] == b"OK\n"


def test_a_game_plays_over_wss_through_caddy(behind_caddy):
    app, caddy = behind_caddy()

    async def play():
        red = await open_through(caddy)
        await send(red, type="init")
        keys = await receive(red)
        yellow = await open_through(caddy)
        await send(yellow, type="init", join=keys["join"])
        assert (await receive(yellow))["type"] == "init"
        await receive(yellow), await receive(red)  # joined
        for index, column in enumerate([0, 1, 0, 1, 0, 1, 0]):
            await send(yellow if index % 2 else red, type="play", column=column)
            await receive(red), await receive(yellow)
        assert await receive(red) == await receive(yellow) == {"type": "win", "player": "red"}
        await red.close(), await yellow.close()

    asyncio.run(play())
    _, log = app.stop()
    assert "Traceback" not in log


def test_behind_caddy_each_client_is_limited_apart(behind_caddy):
    app, caddy = behind_caddy("--max-client-connections", "2")

    async def connect_all():
        held = [await open_through(caddy, "127.0.0.2") for _ in range(2)]
        # A client writing its own X-Forwarded-For doesn't escape its limit.
        spoofed = {"X-Forwarded-For": "203.0.113.9"}
        with pytest.raises(InvalidStatus) as refused:
            await open_through(caddy, "127.0.0.2", additional_headers=spoofed)
        # Another client behind the same proxy connects.
        held.append(await open_through(caddy, "127.0.0.3"))
        for websocket in held:
            await websocket.close()
        return refused.value.response.status_code

    assert asyncio.run(connect_all()) == 429
    _, log = app.stop()
    assert "refusing client 127.0.0.2: 2 connections are open from it" in log
    assert "203.0.113.9" not in log


# systemd.


def deployable(unit):
    """A unit's text with /opt/connect4 and its venv's Python replaced by this checkout's."""
    text = (ROOT / "deploy" / unit).read_text()
    text = text.replace("/opt/connect4/venv/bin/python", sys.executable)
    return text.replace("/opt/connect4", str(ROOT))


@pytest.mark.parametrize("unit", ["connect4.service", "connect4@.service"])
def test_the_systemd_units_verify(unit, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    path = tmp_path / unit
    path.write_text(deployable(unit))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    if "Failed to" in result.stderr and "Operation not permitted" in result.stderr:
        pytest.skip(f"systemd-analyze can't run in this container: {result.stderr.strip()}")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("unit", ["connect4.service", "connect4@.service"])
def test_the_systemd_units_run_app_py_as_the_readme_says(unit):
    text = (ROOT / "deploy" / unit).read_text()
    for setting in ["Restart=on-failure", "DynamicUser=yes", "ProtectSystem=strict",
                    "KillSignal=SIGTERM", "StandardError=journal"]:  # fmt: skip
        assert re.search(rf"^{re.escape(setting)}$", text, re.MULTILINE), setting
    command = re.search(r"^ExecStart=(.*?)(?<!\\)$", text, re.MULTILINE | re.DOTALL)[1]
    args = command.replace("\\\n", " ").split()[2:]
    # The command line parses, and serves where the Caddyfile forwards.
    from server.command_line import parse_args

    parsed = parse_args(args)
    assert (parsed.host, parsed.port) == ("127.0.0.1", 8000)
    assert parsed.public_url == "https://connect4.example.org/"
    assert "127.0.0.1:8000" in (ROOT / "deploy" / "Caddyfile").read_text()
    assert bool(parsed.redis) == ("@" in unit) == parsed.reuse_port
