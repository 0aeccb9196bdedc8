"""Live servers on loopback and a real Chromium for the web tests.

The seed index is built once per session (tests/conftest.py) with the real model; every server
below shares that one loaded assistant, and the probe corpus reuses its embedder.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# The test modules here import web_helpers by name; this keeps that working under any
# pytest import mode (prepend puts this folder on sys.path, importlib does not).
sys.path.insert(0, str(Path(__file__).parent))

from web_helpers import CHROMIUM, CHROMIUM_ARGS, PROBE_ARTICLE, TOKEN, LiveServer, free_port  # noqa: E402

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def web_assistant(assistant):
    """The session's assistant from tests/conftest.py: one index build and one model load in all."""
    return assistant


@pytest.fixture(scope="session")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def server(web_assistant, host_port):
    """The app without a token; the host page's origin may call the API and frame the widget."""
    from rag.web import WebConfig, create_app

    config = WebConfig(allowed_origins=(f"http://127.0.0.1:{host_port}",))
    with LiveServer(create_app(web_assistant, config)) as live:
        yield live


@pytest.fixture(scope="session")
def token_server(web_assistant):
    """The same app with a shared-secret token set."""
    from rag.web import WebConfig, create_app

    with LiveServer(create_app(web_assistant, WebConfig(token=TOKEN))) as live:
        yield live


@pytest.fixture(scope="session")
def probe_server(web_assistant, tmp_path_factory):
    """An app over a one-article corpus whose every field carries HTML and script."""
    from rag.pipeline import Assistant, Settings
    from rag.web import WebConfig, create_app

    root = tmp_path_factory.mktemp("probe")
    (root / "seeds").mkdir()
    (root / "seeds" / "probe.txt").write_text(PROBE_ARTICLE, encoding="utf-8")
    assistant = Assistant.load(settings=Settings(seeds_dir=root / "seeds", index_dir=root / "index"),
                               embedder=web_assistant.embedder, progress=False)
    with LiveServer(create_app(assistant, WebConfig())) as live:
        yield live


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (it cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records script dialogs and page errors, so tests can assert none ran."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.dialogs = []
    page.errors = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.set_default_timeout(60_000)
    yield page
    context.close()
