"""app.py's command line: flags over environment over defaults, and clean refusals."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="module")
def app_module():
    spec = importlib.util.spec_from_file_location("newsroom_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_defaults_bind_loopback_on_7860(app_module, monkeypatch):
    for name in ("RAG_HOST", "RAG_PORT", "RAG_ALLOWED_ORIGINS", "RAG_SEEDS", "RAG_INDEX"):
        monkeypatch.delenv(name, raising=False)
    args = app_module.parse_args([])
    assert (args.host, args.port, args.allowed_origins, args.seeds, args.index) == (
        "127.0.0.1", 7860, "", Path("seeds"), Path("index"))


def test_environment_then_flags(app_module, monkeypatch):
    monkeypatch.setenv("RAG_HOST", "0.0.0.0")
    monkeypatch.setenv("RAG_PORT", "8080")
    monkeypatch.setenv("RAG_ALLOWED_ORIGINS", "https://intranet.example")
    args = app_module.parse_args([])
    assert (args.host, args.port, args.allowed_origins) == ("0.0.0.0", 8080, "https://intranet.example")
    assert app_module.parse_args(["--port", "9000", "--host", "127.0.0.1"]).port == 9000


def test_bad_settings_exit_2_with_one_line(app_module, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("RAG_TOKEN", raising=False)
    assert app_module.main(["--seeds", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == f"app.py: seeds folder {str(tmp_path / 'missing')!r} not found\n"
    assert app_module.main(["--allowed-origins", "intranet.example"]) == 2
    assert capsys.readouterr().err == ("app.py: allowed origin must start with http:// or https://, "
                                       "got 'intranet.example'\n")
