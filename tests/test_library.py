"""Newsroom ingestion: adding, updating and removing articles safely, with the real model."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import library, store
from rag.ingest import IngestError, load_seeds
from rag.pipeline import Assistant, Settings
from seedpaths import REPO

ARTICLE = "Port reopens\n\nThe port of Aktau reopened on Monday after a week of strikes.\n\nBy Ann Lee\n"
HTML = """<html><head><title>Grain deal | Wire</title><meta name="author" content="Jane Doe">
<meta property="og:title" content="Grain corridor reopens"><meta property="og:site_name" content="Reuters">
<meta property="article:published_time" content="2022-08-01T10:00:00Z"></head>
<body><nav>Home | World | Business</nav><article><h1>Grain corridor reopens</h1>
<p>The first ship to leave Odesa under the grain deal was the Razoni, officials said on Monday.</p>
<p>It carried 26,000 tonnes of corn bound for Lebanon.<script>alert("x")</script></p></article>
<footer>Cookie policy. Subscribe now.</footer></body></html>"""


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dimension, self.texts = inner, inner.name, inner.dimension, 0

    def warm_up(self) -> None:
        getattr(self.inner, "warm_up", lambda: None)()

    def encode(self, texts, batch_size=32):
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture()
def seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "port.txt").write_text(ARTICLE)
    return folder


def test_text_html_and_jsonl_files_are_added_with_their_metadata(seeds, tmp_path):
    (tmp_path / "grain.html").write_text(HTML)
    rows = [{"text": "Dockers won a 20 percent pay rise in Aktau.", "title": "Pay rise", "outlet": "AFP",
             "byline": "Ann Lee", "date": "2022-01-11", "url": "https://example.org/pay"},
            "not an object", {"title": "no text"}]
    (tmp_path / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    reports = library.add([tmp_path / "grain.html", tmp_path / "wire.jsonl"], seeds)
    assert [r.message for r in reports] == [
        "added “Grain corridor reopens” as grain-corridor-reopens.md",
        "wire.jsonl line 2: needs a non-empty \"text\" field",
        "wire.jsonl line 3: needs a non-empty \"text\" field",
        "wire.jsonl line 4: not JSON (Expecting property name enclosed in double quotes)",
        "added “Pay rise” as pay-rise.md",
    ]
    articles = {a.headline: a for a in load_seeds(seeds)[0]}
    grain = articles["Grain corridor reopens"]
    assert (grain.outlet, grain.byline, grain.date) == ("Reuters", "Jane Doe", "2022-08-01")
    assert "Cookie policy" not in grain.text and "Home | World" not in grain.text and "alert" not in grain.text
    assert "26,000 tonnes of corn" in grain.text
    pay = articles["Pay rise"]
    assert (pay.outlet, pay.byline, pay.date, pay.url) == ("AFP", "Ann Lee", "2022-01-11", "https://example.org/pay")


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"\x00\x01PK binary", "binary file (NUL bytes), not text"),
    (b"   \n", "no text"),
])
def test_bad_documents_are_refused_by_name_and_nothing_is_lost(seeds, tmp_path, content, message):
    before = {p.name: p.read_bytes() for p in seeds.iterdir()}
    (tmp_path / "bad.txt").write_bytes(content)
    [report] = library.add([tmp_path / "bad.txt"], seeds)
    assert not report.ok and report.message == f"bad.txt: {message}"
    assert {p.name: p.read_bytes() for p in seeds.iterdir()} == before


def test_a_50_mb_file_is_refused_without_being_read(seeds, tmp_path):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as handle:
        handle.truncate(50_000_000)  # sparse: no 50 MB written to disk
    [report] = library.add([big], seeds)
    assert report.message == "huge.txt: 50,000,000 bytes is over the 5,000,000-byte limit for one file"


def test_non_utf8_text_is_decoded_by_detection_and_stored_as_utf8(seeds, tmp_path):
    (tmp_path / "cafe.txt").write_bytes("Café talks\n\nThe ministers met at the café in Astana on Friday, "
                                        "where the prime minister spoke.\n".encode("cp1252"))
    [report] = library.add([tmp_path / "cafe.txt"], seeds)
    assert report.ok and report.message.startswith("added 1 article(s) as cafe.txt (decoded from ")
    assert "met at the café in Astana" in (seeds / "cafe.txt").read_text(encoding="utf-8")


def test_an_exact_duplicate_is_refused_and_a_name_clash_gets_a_new_name(seeds, tmp_path):
    (tmp_path / "port.txt").write_text(ARTICLE.replace("Port reopens", "Aktau port open again"))
    [duplicate] = library.add([tmp_path / "port.txt"], seeds)
    assert not duplicate.ok and "already in the library as" in duplicate.message
    (tmp_path / "port.txt").write_text("Port closes\n\nThe port of Aktau closed again on Friday.\n")
    [clash] = library.add([tmp_path / "port.txt"], seeds)
    assert clash.ok and clash.added[0].startswith("port-") and clash.added[0].endswith(".txt")
    assert (seeds / "port.txt").read_text() == ARTICLE


def test_remove_by_id_by_path_and_refusals(seeds, tmp_path):
    (tmp_path / "b.md").write_text("---\ntitle: Second\noutlet: AFP\n---\nA second story about grain exports.\n")
    library.add([tmp_path / "b.md"], seeds)
    second = next(a for a in load_seeds(seeds)[0] if a.headline == "Second")
    assert library.remove(second.id[:8], seeds) == "removed b.md (AFP: Second)"
    assert library.remove("port.txt", seeds) == "removed port.txt"
    assert list(p.name for p in seeds.iterdir()) == []
    outside = tmp_path / "outside.txt"
    outside.write_text(ARTICLE)
    with pytest.raises(IngestError, match="outside the library"):
        library.remove(str(outside), seeds)
    with pytest.raises(IngestError, match="no article with id 'deadbeef00'"):
        library.remove("deadbeef00", seeds)
    assert outside.read_text() == ARTICLE


def test_removing_one_article_of_a_compiled_page_records_it(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "page.txt").write_text("First story\n\nAlpha happened on Monday.\n\nCONTINUED:\n\n"
                                    "Second story\n\nBeta happened on Tuesday.\n")
    first = load_seeds(seeds)[0][0]
    assert library.remove(first.id, seeds).startswith(f"removed {first.id} (Unknown: First story) from page.txt")
    assert [a.headline for a in load_seeds(seeds)[0]] == ["Second story"]


def test_a_symlink_out_of_the_library_is_refused(seeds, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret memo\n\nThe password is swordfish.\n")
    (seeds / "link.txt").symlink_to(secret)
    articles, problems = load_seeds(seeds)
    assert [a.headline for a in articles] == ["Port reopens"]
    assert problems == [f"link.txt: a symlink out of the library {seeds}; refused"]
    assert library.remove("link.txt", seeds) == "removed link link.txt"
    assert secret.exists()


def test_only_new_articles_are_embedded_and_a_running_assistant_picks_them_up(seeds, tmp_path, assistant,
                                                                             monkeypatch):
    counting = CountingEmbedder(assistant.embedder)
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index")
    running = Assistant.load(settings, embedder=counting, progress=False)
    first_build = counting.texts
    assert first_build > 0
    (tmp_path / "tanker.md").write_text("---\ntitle: Tanker seized\noutlet: AFP\n---\n"
                                        "The tanker Aurora was seized off Crete on Friday.\n")
    library.add([tmp_path / "tanker.md"], seeds)
    counting.texts = 0
    import rag.annotate

    parsed = []
    real = rag.annotate.spans_of
    monkeypatch.setattr(rag.annotate, "spans_of", lambda doc: parsed.append(doc.text) or real(doc))
    Assistant.load(settings, embedder=counting, progress=False)
    assert counting.texts == 3  # the new chunk and its two sentences (headline, body); nothing of the port story
    assert parsed == ["Tanker seized\n\nThe tanker Aurora was seized off Crete on Friday."]  # spaCy on new text only
    monkeypatch.undo()
    running.RELOAD_CHECK_SECONDS = 0.0
    answer = running.ask("When was the tanker seized off Crete?")
    assert answer.answer == "Friday" and answer.citations[0].outlet == "AFP"


def test_the_ingest_command_adds_lists_and_removes(seeds, tmp_path):
    (tmp_path / "grain.html").write_text(HTML)
    (tmp_path / "bad.txt").write_bytes(b"\x00\x00")
    run = lambda *args: subprocess.run([sys.executable, "-m", "rag.ingest", *args, "--seeds", str(seeds),
                                        "--index", str(tmp_path / "index")], capture_output=True, text=True,
                                       cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)
    added = run(str(tmp_path / "grain.html"), str(tmp_path / "bad.txt"))
    assert added.returncode == 1  # one input refused; the other added and indexed
    assert added.stdout.strip() == "added “Grain corridor reopens” as grain-corridor-reopens.md"
    assert "bad.txt: binary file (NUL bytes), not text" in added.stderr
    assert "index: 2 articles" in added.stderr
    listed = run("--list")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "outlet", "date", "chunks"]
    assert any(" Reuters " in line and "2022-08-01" in line and "Grain corridor reopens" in line for line in lines)
    removed = run("--remove", "grain-corridor-reopens.md")
    assert removed.returncode == 0 and removed.stdout.startswith("removed grain-corridor-reopens.md")
    assert run("--remove", "/etc/passwd").returncode == 1


def test_killing_a_build_midway_leaves_the_previous_index_usable(tmp_path, assistant):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "port.txt").write_text(ARTICLE)
    index = tmp_path / "index"
    Assistant.load(Settings(seeds_dir=seeds, index_dir=index), embedder=assistant.embedder, progress=False)
    before = (index / store.CURRENT).read_text()
    for i in range(120):  # enough text that embedding takes a while
        (seeds / f"story{i:03}.md").write_text(
            f"---\ntitle: Story {i}\noutlet: AFP\n---\n" + " ".join(
                f"Reporter {i} filed paragraph {j} about the harbour, the strike and the {j}th ship." for j in range(8)))
    build = subprocess.Popen([sys.executable, "-m", "rag.build", "--seeds", str(seeds), "--index", str(index)],
                             cwd=REPO, stderr=subprocess.PIPE, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.monotonic() + 300
    seen = ""
    while "indexing" not in seen and time.monotonic() < deadline:
        seen += build.stderr.read(1)
    time.sleep(1.0)
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    assert "indexing" in seen
    assert (index / store.CURRENT).read_text() == before
    survivor = store.load(index)
    assert survivor.manifest["counts"]["articles"] == 1
    again = Assistant.load(Settings(seeds_dir=seeds, index_dir=index), embedder=assistant.embedder, progress=False)
    assert again.health()["articles"] == 121
