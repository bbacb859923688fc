"""tools/zoo_leaderboard.py puts a bench's table between its markers and nowhere else."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "zoo_leaderboard.py"
spec = importlib.util.spec_from_file_location("zoo_leaderboard", TOOL)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

BOARD = "# Leaderboard\n\nMeans.\n\n| model |\n|---|\n| dcgan |\n\n## Protocol\n\n- **seeds**: 0\n"
DOC = ("# Zoo\n\nbefore\n<!-- leaderboard:fmnist:begin -->\nold table\n"
       "<!-- leaderboard:fmnist:end -->\nafter\n")


def test_body_drops_the_title_and_demotes_the_protocol_heading() -> None:
    assert tool.body(BOARD) == ("Means.\n\n| model |\n|---|\n| dcgan |\n\n**Protocol**\n\n"
                                "- **seeds**: 0\n")


def test_splice_replaces_only_the_marked_text_and_is_repeatable() -> None:
    once = tool.splice(DOC, "fmnist", "new\n")
    assert once == ("# Zoo\n\nbefore\n<!-- leaderboard:fmnist:begin -->\nnew\n"
                    "<!-- leaderboard:fmnist:end -->\nafter\n")
    assert tool.splice(once, "fmnist", "new\n") == once


REVERSED = "<!-- leaderboard:fmnist:end -->\n<!-- leaderboard:fmnist:begin -->\n"


@pytest.mark.parametrize("doc", ["no markers\n", DOC + DOC, REVERSED])
def test_splice_refuses_missing_doubled_or_reversed_markers(doc: str) -> None:
    with pytest.raises(ValueError, match="expected one"):
        tool.splice(doc, "fmnist", "x\n")


def test_main_writes_the_document_and_reports_a_missing_bench(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "leaderboard.md").write_text(BOARD, encoding="utf-8")
    doc = tmp_path / "ZOO.md"
    doc.write_text(DOC, encoding="utf-8")
    assert tool.main([str(bench), "--doc", str(doc)]) == 0
    assert "| dcgan |" in doc.read_text(encoding="utf-8") and "old table" not in doc.read_text()
    assert tool.main([str(tmp_path / "nothing"), "--doc", str(doc)]) == 2
    assert capsys.readouterr().err.startswith("zoo_leaderboard: ")
