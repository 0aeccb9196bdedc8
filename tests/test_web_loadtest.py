"""The load test's arithmetic and its BENCHMARKS.md editing (no server)."""
from __future__ import annotations

import pytest

from rag.loadtest import BEGIN, END, Result, percentile, report, write_section


def test_percentile_interpolates_between_ranks():
    values = [0.4, 0.1, 0.3, 0.2, 0.5]
    assert percentile(values, 0) == 0.1
    assert percentile(values, 50) == 0.3
    assert percentile(values, 100) == 0.5
    assert percentile(values, 95) == pytest.approx(0.48)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError, match="percentile of no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="q must be in 0..100, got 101"):
        percentile([1.0], 101)


def test_report_has_the_numbers_and_the_command():
    alone = Result(1, [0.05] * 8, {}, wall_s=0.4)
    crowd = Result(16, [0.1] * 15 + [0.5], {"HTTP 503": 2}, wall_s=2.0, health_latencies=(0.002, 0.004, 0.003))
    section = report([alone, crowd], "python -m rag.loadtest", "http://x")
    assert section.startswith(BEGIN) and section.endswith(END)
    assert "| 1 | 8 | 8 | 0 | 50 | 50 | 50 | 20.00 |\n| 16 | 18 | 16 | 2 | 100 | 200 | 500 | 8.00 |" in section
    assert "- Command: `python -m rag.loadtest`" in section
    assert "Errors: 2 x HTTP 503." in section
    assert "While 16 clients waited, `GET /api/health` took p95 4 ms over 3 probes" in section


def test_write_section_replaces_only_the_load_part(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\n## Speed\nkeep me\n\n{BEGIN}\nold\n{END}\n\n## After\nkeep me too\n")
    write_section(path, f"{BEGIN}\nnew\n{END}")
    assert path.read_text() == f"# Benchmarks\n\n## Speed\nkeep me\n\n{BEGIN}\nnew\n{END}\n\n## After\nkeep me too\n"


def test_write_section_appends_when_markers_are_missing(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Speed\nkeep me\n")
    write_section(path, f"{BEGIN}\nnew\n{END}")
    assert path.read_text() == f"# Benchmarks\n\n## Speed\nkeep me\n\n{BEGIN}\nnew\n{END}\n"
    write_section(tmp_path / "fresh.md", f"{BEGIN}\nx\n{END}")
    assert (tmp_path / "fresh.md").read_text() == f"# Benchmarks\n\n{BEGIN}\nx\n{END}\n"
