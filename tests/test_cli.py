"""`python -m rag.ask`: exit codes, the JSON contract, text output and batch mode, as a user runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from seedpaths import REPO, SEEDS

CONTRACT = {"question", "answer", "sentence", "confidence", "citations", "conflicts"}


def ask(*args: str, index, stdin: str | None = None, seeds=SEEDS) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "rag.ask", *args, "--seeds", str(seeds), "--index", str(index)],
                          input=stdin, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


def test_json_answer_follows_the_contract(seed_index_dir):
    done = ask("--json", "Who chairs the CSTO?", index=seed_index_dir)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert CONTRACT <= set(body)
    assert body["answer"] == "Nikol Pashinyan"
    assert body["citations"][0]["outlet"] in {"CNN", "Daily Mail"}
    assert "Nikol Pashinyan" in body["citations"][0]["quote"]
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["conflicts"] == []


def test_text_answer_marks_the_span_and_numbers_the_sources(seed_index_dir):
    done = ask("How many security officers were killed?", index=seed_index_dir)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Answer: 13 ")
    assert "[[13]] security officers have been killed" in lines[1]
    # each value beside its outlets, and whom their quotes credit for it
    assert ("Reports differ: 13 (Daily Mail, citing media reports; RT) · 12 (Daily Mail, citing media reports "
            "and Russian media) · 8 (CNN, citing Kazakhstan’s local outlet Tengrinews.kz)") in done.stdout
    assert "  [1] Daily Mail, citing media reports — " in done.stdout
    assert "  [2] RT — " in done.stdout
    assert "  [5] CNN, citing Kazakhstan’s local outlet Tengrinews.kz — " in done.stdout


def test_a_question_answered_through_a_name_says_how_it_was_read(seed_index_dir):
    done = ask("Who currently leads the Russia-dominated military bloc?", index=seed_index_dir)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Read as: Who currently leads the CSTO?"
    assert lines[1].startswith("Answer: Nikol Pashinyan ")


def test_an_unanswerable_question_says_so_and_exits_zero(seed_index_dir):
    done = ask("What is the capital of France?", index=seed_index_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("The articles don't answer this: the articles never mention France.")
    assert "  [1] " in done.stdout


def test_batch_mode_prints_one_json_line_per_question(seed_index_dir):
    done = ask("-", index=seed_index_dir, stdin="Who chairs the CSTO?\n\nHow many people are in intensive care?\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["answer"] for r in rows] == ["Nikol Pashinyan", "62"]


@pytest.mark.parametrize("args, message", [
    (("",), "error: question is empty"),
    (("x" * 5000,), "error: question is 5,000 characters; the limit is 1,000"),
    (("Who chairs the CSTO?", "--outlet", "Pravda"), "error: unknown outlet 'Pravda'"),
    (("Who chairs the CSTO?", "--k", "0"), "error: --k must be > 0, got 0"),
])
def test_bad_input_gets_one_line_on_stderr_and_exit_2(seed_index_dir, args, message):
    done = ask(*args, index=seed_index_dir)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(message)
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_missing_seeds_folder_exits_2(tmp_path):
    done = ask("Who chairs the CSTO?", index=tmp_path / "index", seeds=tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: seeds folder not found: {tmp_path / 'nowhere'}"


def test_the_outlet_filter_on_the_command_line(seed_index_dir):
    done = ask("--json", "--outlet", "TASS", "--k", "2", "When did protests flare up?", index=seed_index_dir)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["answer"] == "January 2"
    assert {c["outlet"] for c in body["citations"]} == {"TASS"}


def test_the_build_command_rebuilds_and_reports_the_index(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "port.txt").write_text("Port reopens\n\nThe port of Aktau reopened on Monday.\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "rag.build", "--seeds", str(seeds), "--index", str(tmp_path / "ix")],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert ": 1 articles, 1 chunks, model " in done.stdout
    assert "building the index (rebuild requested)" in done.stderr


def test_asking_leaves_no_telemetry_behind(seed_index_dir, tmp_path):
    """The query path runs onnxruntime, whose telemetry (on unless ORT_DISABLE_TELEMETRY is set
    before its import) writes a device id and queued events under ~/.cache/Microsoft and later
    tries to upload them. The package switches it off itself: run with HOME in a scratch folder
    and none of the switches in the environment, nothing is written there."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("ORT_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "GRADIO_ANALYTICS_ENABLED")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "rag.ask", "--json", "Who chairs the CSTO?", "--seeds", str(SEEDS),
                           "--index", str(seed_index_dir)], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answer"] == "Nikol Pashinyan"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == []
