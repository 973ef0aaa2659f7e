"""server/page.py: the page served beside the game, tested over real HTTP connections."""

import asyncio
import logging
import posixpath
import re
import socket
import struct
import threading

import pytest

from server import page
from conftest import MS, http_get


@pytest.fixture
async def front_end():
    """The page's server on an ephemeral port, as if on a LAN at 192.0.2.7."""
    served = page.Page(websocket_port=8001, lan_origin="http://192.0.2.7:8000")
    async with page.page_server(served, "127.0.0.1", 0) as server:
        yield server.sockets[0].getsockname()[1]


async def get(port, path, **kwargs):
    """GET a path from the page's server without blocking the event loop."""
    return await asyncio.to_thread(http_get, port, path, **kwargs)


# What is served.


def test_the_page_and_the_game_are_served_by_one_command(app_process):
    process = app_process("--http-port", "0")
    status, headers, body = http_get(process.http_port, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # The page learns the WebSocket port that was actually bound.
    assert f'<meta name="websocket" content=":{process.websocket_port}">'.encode() in body


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/index.html", "text/html"),
        ("/?join=somekey", "text/html"),
        ("/main.js", "text/javascript"),
        ("/connect4.js", "text/javascript"),
        ("/page/address.js", "text/javascript"),
        ("/page/connection.js", "text/javascript"),
        ("/page/status.js", "text/javascript"),
        ("/connect4.css", "text/css"),
    ],
)
async def test_the_front_end_files_are_served(front_end, path, content_type):
    status, headers, body = await get(front_end, path)
    assert status == 200 and body
    assert headers["Content-Type"].startswith(content_type)
    assert headers["X-Content-Type-Options"] == "nosniff"
    # The page's URL holds the keys, and the page runs nothing but its own files.
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/app.py",
        "/connect4.py",
        "/tests/test_app.py",
        "/tests/conftest.py",
        "/.git/config",
        "/.git/HEAD",
        "/README.md",
        "/requirements.txt",
        "/../app.py",
        "/%2e%2e/app.py",
        "/..%2fapp.py",
        "//etc/passwd",
        "/main.js/",
        "/tests/",
    ],
)
async def test_nothing_else_is_served(front_end, path):
    status, _, body = await get(front_end, path)
    assert status == 404
    assert b"import" not in body


async def test_a_page_opened_on_localhost_invites_friends_at_the_lan_address(front_end):
    _, _, body = await get(front_end, "/", headers={"Host": f"localhost:{front_end}"})
    assert b'<meta name="invite-origin" content="http://192.0.2.7:8000">' in body
    # Opened at the LAN address, the page's own address is the one to share.
    _, _, body = await get(front_end, "/", headers={"Host": "192.0.2.7:8000"})
    assert b'<meta name="invite-origin" content="">' in body


@pytest.mark.parametrize(
    "tag",
    [
        b'<meta name="websocket" content=":8001">',
        b'<meta content=":8001" name="websocket" />',
        b"<META NAME='websocket'  CONTENT=':8001'>",
        b'<meta\n      name="websocket"\n      content="">',
    ],
)
def test_the_websocket_meta_tag_is_found_however_it_is_written(tag):
    html = b"<head>\n" + tag + b'\n<meta name="websocket-extra" content="keep">\n</head>'
    configured = page.Page(websocket_port=9001).configure(html, "127.0.0.1:8000")
    assert configured.count(b'<meta name="websocket" content=":9001">') == 1
    assert b'<meta name="websocket-extra" content="keep">' in configured


def test_the_invite_meta_tag_is_found_however_it_is_written():
    html = b"<meta content='' name=invite-origin>"
    configured = page.Page(lan_origin="http://192.0.2.7:8000").configure(html, "localhost:8000")
    assert configured == b'<meta name="invite-origin" content="http://192.0.2.7:8000">'


# Clients that are slow, or gone.


async def test_slow_clients_hold_no_thread_and_are_cut_off_at_the_deadline(monkeypatch, caplog):
    monkeypatch.setattr(page, "REQUEST_TIMEOUT", 300 * MS)
    threads = threading.active_count()
    async with page.page_server(page.Page(), "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        # Half a request each, then nothing.
        slow = []
        for _ in range(200):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append((reader, writer))
        await asyncio.sleep(50 * MS)
        assert threading.active_count() == threads
        # A player's page still loads meanwhile.
        status, _, _ = await get(port, "/")
        assert status == 200
        # The server hangs up on each slow client once its deadline passes.
        async with asyncio.timeout(3000 * MS):
            for reader, writer in slow:
                assert await reader.read() == b""
                writer.close()
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "Traceback" not in caplog.text


async def test_clients_that_hang_up_early_leave_nothing_in_the_log(front_end, caplog):
    caplog.set_level(logging.DEBUG, logger="connect4")
    for _ in range(50):
        with socket.create_connection(("127.0.0.1", front_end)) as client:
            client.sendall(b"GET /main.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            # Reset the connection rather than close it: the server's reply
            # meets a broken pipe.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    status, _, _ = await get(front_end, "/main.js")
    assert status == 200
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "Traceback" not in caplog.text


def test_every_module_the_page_imports_is_served():
    # The page's folder is served by its names: a module added or moved there
    # needs no list edited, and none that the page imports is missing.
    for name in page.PAGE_FILES:
        if name.endswith(".js"):
            source = (page.ROOT / name).read_text(encoding="utf-8")
            for target in re.findall(r'from\s+"(\.{1,2}/[^"]+)"', source):
                served = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                assert f"/{served}" in page.FILES, f"{name} imports {target}, which isn't served"
