"""On the internet: one port for the page and the game, --public-url, TLS of its own."""

import asyncio
import http.client
import re
import ssl
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from conftest import MS, ROOT, http_get, receive, send

PUBLIC = "https://connect4.example.org"


def meta(body, name):
    """The content of a <meta> tag of the page."""
    return re.search(rb'<meta name="%s" content="([^"]*)">' % name.encode(), body)[1].decode()


# One port.


def test_the_page_the_game_and_healthz_share_one_port(app_process):
    server = app_process("--public-url", PUBLIC)
    port = server.websocket_port
    status, headers, body = http_get(port, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert http_get(port, "/main.js")[0] == 200
    assert http_get(port, "/page/address.js")[0] == 200
    assert http_get(port, "/app.py")[0] == 404
    assert http_get(port, "/healthz")[:3:2] == (200, b"OK\n")

    async def play():
        async with connect(f"ws://127.0.0.1:{port}/", origin=PUBLIC) as websocket:
            await send(websocket, type="init")
            return await receive(websocket)

    assert asyncio.run(play())["type"] == "init"
    code, log = server.stop()
    assert code == 0 and "Traceback" not in log


def test_the_page_connects_and_invites_at_the_public_address(app_process):
    server = app_process("--public-url", PUBLIC)
    _, _, body = http_get(server.websocket_port, "/")
    assert meta(body, "websocket") == "wss://connect4.example.org/"
    assert meta(body, "invite-origin") == "https://connect4.example.org/"


def test_an_http_public_address_gets_ws(app_process):
    server = app_process("--public-url", "http://192.0.2.10:8080/")
    _, _, body = http_get(server.websocket_port, "/")
    assert meta(body, "websocket") == "ws://192.0.2.10:8080/"
    assert meta(body, "invite-origin") == "http://192.0.2.10:8080/"


def test_the_public_url_environment_variable_sets_it(app_process):
    server = app_process(env={"PATH": "/usr/bin:/bin", "PUBLIC_URL": PUBLIC})
    _, _, body = http_get(server.websocket_port, "/")
    assert meta(body, "websocket") == "wss://connect4.example.org/"


def test_without_a_public_url_the_two_ports_stay(app_process):
    server = app_process()
    assert server.http_port != server.websocket_port
    _, _, body = http_get(server.http_port, "/")
    assert meta(body, "websocket") == f":{server.websocket_port}"
    assert http_get(server.websocket_port, "/")[0] == 426


@pytest.mark.parametrize(
    "origin",
    [PUBLIC, None, "http://127.0.0.1:{port}"],  # the public page, a program, the page direct
)
def test_the_public_page_may_connect(app_process, origin):
    server = app_process("--public-url", PUBLIC)
    port = server.websocket_port

    async def play():
        async with connect(
            f"ws://127.0.0.1:{port}/", origin=origin and origin.format(port=port)
        ) as websocket:
            await send(websocket, type="init")
            return await receive(websocket)

    assert asyncio.run(play())["type"] == "init"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://connect4.example.org", "https://connect4.example.org:8443",
     "http://127.0.0.1:1", "null"],
)  # fmt: skip
def test_other_pages_are_refused_with_403(app_process, origin):
    server = app_process("--public-url", PUBLIC)

    async def attempt():
        async with connect(f"ws://127.0.0.1:{server.websocket_port}/", origin=origin):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 403
    _, log = server.stop()
    assert "Traceback" not in log


@pytest.mark.parametrize(
    "args, message",
    [
        (["--public-url", "connect4.example.org"], "--public-url"),
        (["--public-url", "ftp://connect4.example.org"], "--public-url"),
        (["--public-url", "https://connect4.example.org:port"], "--public-url"),
        (["--public-url", PUBLIC, "--no-http"], "drop --no-http"),
        (["--certfile", "cert.pem"], "--certfile and --keyfile go together"),
        (["--trusted-proxy", "a proxy"], "--trusted-proxy"),
    ],
)
def test_bad_options_are_explained_without_a_traceback(args, message):
    result = subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# TLS without a proxy.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost and its key, made with openssl."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_certfile_and_keyfile_serve_https_and_wss(app_process, certificate):
    cert, key = certificate
    server = app_process(
        "--public-url", "https://localhost", "--certfile", cert, "--keyfile", key
    )  # fmt: skip
    trusting = ssl.create_default_context(cafile=cert)
    page = http.client.HTTPSConnection(
        "localhost", server.websocket_port, context=trusting, timeout=5000 * MS
    )
    page.request("GET", "/")
    response = page.getresponse()
    assert response.status == 200 and b"wss://localhost/" in response.read()
    page.close()

    async def play():
        uri = f"wss://localhost:{server.websocket_port}/"
        async with connect(uri, ssl=trusting, origin="https://localhost") as websocket:
            await send(websocket, type="init")
            return await receive(websocket)

    assert asyncio.run(play())["type"] == "init"
    _, log = server.stop()
    assert "Traceback" not in log
