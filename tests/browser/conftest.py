"""Fixtures of the browser tests: Debian's Chromium, the game's server, fresh pages.

Each player and spectator gets their own browser context, which is as good as
a separate browser: no shared storage, no shared tabs.

"""

import os
from pathlib import Path
from urllib.parse import urljoin

import pytest

from utils import AppProcess

# pages.py checks what the page shows with assert: keep pytest's explanations.
pytest.register_assert_rewrite("browser.pages")

from .pages import ARTIFACTS, DESKTOP, WAIT, layout_problems, stop_app  # noqa: E402

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # Reported by the browser fixture, which knows to skip.
    expect = sync_playwright = None


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Installed in every page: records, at every change of the status box, where
# the board is and whether a line of the status is cut off; the fixture
# checks the record once the test is done (see pages.layout_problems).
RECORD_LAYOUT = """
addEventListener("DOMContentLoaded", () => {
    const status = document.querySelector(".status");
    const board = document.querySelector(".board");
    if (status === null || board === null) {
        return;  // not the game's page
    }
    window.layoutLog = [];
    const record = () => window.layoutLog.push({
        text: status.textContent,
        top: board.getBoundingClientRect().top + scrollY,
        clipped: Array.from(
            status.querySelectorAll(".status-headline, .status-detail-text"),
        ).filter((line) => line.scrollWidth > line.clientWidth + 1).map((line) => line.textContent),
    });
    record();
    new MutationObserver(record).observe(status, { childList: true, subtree: true, characterData: true });
});
"""


def unavailable(reason):
    """Skip when a browser can't run here, but never silently on CI."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless, driven by Playwright, for every browser test."""
    if sync_playwright is None:
        unavailable("the playwright package isn't installed")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} isn't installed")
    expect.set_options(timeout=WAIT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def app_url(browser):
    """The address of `python app.py`, serving the page and the game to every test."""
    # Depends on browser so that the server isn't started when tests skip.
    # The computer moves at once: tests that need to see it think say so.
    app = AppProcess("--computer-delay", "0")
    yield app.url
    stop_app(app)


@pytest.fixture
def open_page(browser, app_url):
    """Open the game in a fresh browser context: a new user, in effect.

    A page must never show a window dialog nor throw an uncaught error, and
    its board must never move nor its status box cut a line short; all are
    recorded and checked once the test is done.

    """
    contexts = []
    pages = []
    problems = []

    def open_page(
        path="", *, base=None, viewport=DESKTOP, context=None, paused_clock=False,
        init_script=None, before_goto=None, **options,
    ):
        """Open path in a new context, or in another tab of context.

        With paused_clock, the page's timers only fire when the test runs the
        clock (context.clock.run_for), so that a test decides when a page
        that reconnects by itself tries again. before_goto, if given, is
        called with the page before it loads.

        """
        if context is None:
            context = browser.new_context(viewport=viewport, **options)
            contexts.append(context)
            if paused_clock:
                context.clock.install(time=0)
                context.clock.pause_at(1_000)
        page = context.new_page()
        pages.append(page)
        page.set_default_timeout(WAIT)
        page.add_init_script(RECORD_LAYOUT)
        if init_script is not None:
            page.add_init_script(init_script)
        if before_goto is not None:
            before_goto(page)

        def on_dialog(dialog):
            problems.append(f"{dialog.type} dialog: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
        page.goto(urljoin(base or app_url, path))
        return page

    yield open_page
    for page in pages:
        if not page.is_closed() and page.url.startswith("http"):
            problems.extend(layout_problems(page))
    for context in contexts:
        context.close()
    assert problems == [], problems


@pytest.fixture(scope="package", autouse=True)
def artifacts():
    """The folder where tests save screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
