"""`ganzoo bench --table-only`: the leaderboard written again from a bench folder with
nothing run (a fake launcher records any child it would have started)."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from test_bench import FakeLauncher, invoke

ARGS = ("--seeds", "0", "1", "--out", "b", "--steps", "8", "--set", "visualizers=grid",
        "--n", "100")


def test_table_only_rewrites_the_outputs_and_runs_nothing() -> None:
    assert invoke("dcgan", "gan", *ARGS, launcher=FakeLauncher()).exit_code == 0
    state = Path("b/bench.json").read_bytes()
    for name in ("leaderboard.md", "leaderboard.html", "samples.png"):
        Path("b", name).unlink()
    launcher = FakeLauncher()
    result = invoke("dcgan", "gan", *ARGS, "--jobs", "2", "--time-limit", "1m",
                    "--table-only", launcher=launcher)
    assert result.exit_code == 0, result.output
    assert launcher.calls == []
    assert Path("b/bench.json").read_bytes() == state
    assert all(Path("b", n).is_file() for n in ("leaderboard.html", "samples.png"))
    table = Path("b/leaderboard.md").read_text()
    assert "| gan " in table and "| dcgan " in table
    assert "wrote " in result.output and "leaderboard.md" in result.output


def test_table_only_shows_the_models_and_seeds_named() -> None:
    assert invoke("dcgan", "gan", *ARGS, launcher=FakeLauncher()).exit_code == 0
    args = [a for a in ARGS if a != "1"]  # seed 0 only
    result = invoke("gan", *args, "--table-only", launcher=FakeLauncher())
    assert result.exit_code == 0, result.output
    table = Path("b/leaderboard.md").read_text()
    assert "| gan " in table and "| dcgan " not in table
    assert "seeds 0, 1" not in table


def one_line_error(result: object, text: str) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], lines


def test_table_only_needs_a_bench_of_the_same_options() -> None:
    one_line_error(invoke("dcgan", *ARGS, "--table-only", launcher=FakeLauncher()),
                   "no bench.json there; run the bench without --table-only first")
    assert not Path("b").exists()
    assert invoke("dcgan", *ARGS, launcher=FakeLauncher()).exit_code == 0
    one_line_error(invoke("dcgan", "--seeds", "0", "--out", "b", "--steps", "9",
                          "--table-only", launcher=FakeLauncher()),
                   "was benched with other options")


def test_table_only_waits_for_a_running_bench_to_write_its_own() -> None:
    assert invoke("dcgan", *ARGS, launcher=FakeLauncher()).exit_code == 0
    before = Path("b/leaderboard.md").read_bytes()
    bench = subprocess.Popen(["sleep", "60"])  # a live process holds the folder's lock
    try:
        Path("b/.lock").write_text(json.dumps({"pid": bench.pid, "host": socket.gethostname()}))
        result = invoke("dcgan", *ARGS, "--table-only", launcher=FakeLauncher())
    finally:
        bench.kill()
        bench.wait()
    one_line_error(result, f"is in use by another ganzoo process (pid {bench.pid})")
    assert Path("b/leaderboard.md").read_bytes() == before
