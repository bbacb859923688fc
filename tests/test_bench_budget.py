"""`ganzoo bench --time-limit`: durations, the expected time of a job, and a bench that
holds back the jobs that would not end in time (a fake launcher: nothing trains)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_bench import FakeLauncher, bench_dir, go, invoke

from ganzoo.bench.budget import expected_seconds, job_seconds, left_fraction, parse_duration
from ganzoo.bench.state import Job, RunStatus


@pytest.mark.parametrize(("text", "seconds"), [
    ("2h", 7200), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("1h0m5s", 3605),
    (" 2H ", 7200)])
def test_durations_read_hours_minutes_and_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["90", "", "h", "2d", "1.5h", "0m", "m30"])
def test_a_duration_without_a_unit_or_of_nothing_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than 0"):
        parse_duration(text)


SESSIONS = [{"machine": {"boot": "A"}}, {"machine": {"boot": "B"}}]


def done(model: str, seed: int, *spans: tuple[str, float, int]) -> Job:
    """A scored job whose child processes were (action, seconds, session index)."""
    return Job(model, seed, state="done", attempts=[
        {"action": a, "seconds": s, "session": i} for a, s, i in spans])


def test_a_jobs_time_counts_its_processes_since_its_last_fresh_start() -> None:
    job = done("dcgan", 0, ("run", 500.0, 0), ("run", 90.0, 1), ("resume", 10.0, 1),
               ("eval", 5.0, 1))
    assert job_seconds(job) == 105.0  # the first run's folder was lost: it does not count
    assert job_seconds(Job("dcgan", 0, state="done")) is None  # trained outside the bench
    assert job_seconds(Job("dcgan", 0, attempts=[{"action": "run", "seconds": 9.0}])) is None


def test_the_expected_time_prefers_this_machine_then_any_then_the_slowest_model() -> None:
    jobs = [done("dcgan", 0, ("run", 100.0, 0)), done("dcgan", 1, ("run", 300.0, 1)),
            done("dcgan", 2, ("run", 500.0, 1)), done("gan", 0, ("run", 40.0, 0)),
            Job("sngan", 0, state="failed", attempts=[{"action": "run", "seconds": 9e9,
                                                       "session": 0}])]
    assert expected_seconds(jobs, "dcgan", SESSIONS, "boot B") == 400.0  # (300 + 500) / 2
    assert expected_seconds(jobs, "dcgan", SESSIONS, "boot A") == 100.0
    # none here: A's, times how much slower B ran what both ran (dcgan: 400 s against 100)
    assert expected_seconds(jobs, "gan", SESSIONS, "boot B") == 160.0
    assert expected_seconds(jobs, "gan", SESSIONS, "boot C") == 40.0  # nothing to compare
    # no scored sngan (a failed job's time says nothing): the slowest model's time
    assert expected_seconds(jobs, "sngan", SESSIONS, "boot B") == 400.0
    assert expected_seconds(jobs, "sngan", SESSIONS, "boot C") == 300.0  # dcgan's, any machine
    assert expected_seconds([], "sngan", SESSIONS, "boot B") is None


def test_other_machines_times_scale_by_this_ones_speed_over_the_models_both_ran() -> None:
    jobs = [done("dcgan", 0, ("run", 100.0, 0)), done("dcgan", 1, ("run", 300.0, 1)),
            done("gan", 0, ("run", 50.0, 0)), done("gan", 1, ("run", 100.0, 1)),
            done("wgan", 0, ("run", 80.0, 0))]
    # B ran dcgan 3x and gan 2x slower than A: wgan, not run on B, is expected at 2.5x
    assert expected_seconds(jobs, "wgan", SESSIONS, "boot B") == 200.0
    assert expected_seconds(jobs, "wgan", SESSIONS, "boot A") == 80.0
    assert expected_seconds(jobs, "began", SESSIONS, "boot B") == 300.0  # the slowest here


def test_the_share_left_of_a_run_comes_from_its_steps() -> None:
    assert left_fraction(RunStatus("new"), None) == 1.0
    assert left_fraction(RunStatus("partial", {"steps": 300}), {"total_steps": 400}) == 0.25
    assert left_fraction(RunStatus("partial", {"steps": 3}), {}) == 1.0  # total unknown
    assert left_fraction(RunStatus("partial", None), {"total_steps": 400}) == 1.0
    assert left_fraction(RunStatus("trained", {"steps": 400}), {"total_steps": 400}) == 0.0


def _set_times(path: Path, seconds: dict[str, float]) -> None:
    """Make the recorded jobs of each model have taken `seconds` (the fake takes ~0 s)."""
    state = json.loads(path.read_text())
    for job in state["jobs"].values():
        for attempt in job["attempts"]:
            attempt["seconds"] = seconds[job["model"]] if attempt["action"] == "run" else 0.0
    path.write_text(json.dumps(state))


def test_jobs_that_would_not_end_in_time_wait_for_the_next_bench(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher(), seeds=[0])
    _set_times(bench_dir(tmp_path) / "bench.json", {"dcgan": 1000.0, "gan": 10.0})
    launcher = FakeLauncher()
    result = go(tmp_path, launcher, seeds=[0, 1, 2], time_limit=100.0)
    assert launcher.calls == [(a, f"gan-s{s}") for s in (1, 2) for a in ("run", "eval")]
    assert result.exit_code == 75 and result.counts == {"done": 4, "pending": 2}
    held = [ln for ln in result.lines if ": not started" in ln]
    assert len(held) == 2 and all("dcgan seed" in ln for ln in held)
    assert "expected to take 0:16:40, 0:01:" in held[0]
    assert result.lines[-1 - len(result.outputs)].startswith(
        "bench: 2 job(s) not started within the time limit (0:01:40)")
    state = json.loads((bench_dir(tmp_path) / "bench.json").read_text())
    assert state["sessions"][1]["time_limit"] == 100.0
    assert state["sessions"][1]["held"] == ["dcgan-s1", "dcgan-s2"]
    assert "dcgan seeds 1, 2: not run yet" in (bench_dir(tmp_path) / "leaderboard.md").read_text()
    rest = FakeLauncher()  # no limit: the held jobs run
    result = go(tmp_path, rest, seeds=[0, 1, 2])
    assert result.exit_code == 0
    assert sorted(rest.calls) == [(a, f"dcgan-s{s}") for a in ("eval", "run") for s in (1, 2)]


def test_a_resumed_job_needs_only_the_time_of_its_steps_left(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher({("dcgan", 1): "interrupt"}), models=["dcgan"], seeds=[0, 1])
    _set_times(bench_dir(tmp_path) / "bench.json", {"dcgan": 200.0})  # 3 of 8 steps done
    launcher = FakeLauncher()
    result = go(tmp_path, launcher, models=["dcgan"], seeds=[0, 1, 2], time_limit=150.0)
    assert launcher.calls == [("resume", "dcgan-s1"), ("eval", "dcgan-s1")]  # 125 s < 150 s
    assert result.counts == {"done": 2, "pending": 1}


def test_a_failure_outranks_held_jobs_in_the_exit_code(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher(), seeds=[0])
    _set_times(bench_dir(tmp_path) / "bench.json", {"dcgan": 1000.0, "gan": 10.0})
    result = go(tmp_path, FakeLauncher({("gan", 1): "crash"}), seeds=[0, 1], time_limit=100.0)
    assert result.exit_code == 1 and result.counts == {"done": 2, "failed": 1, "pending": 1}


def test_the_command_takes_a_time_limit(tmp_path: Path) -> None:
    launcher = FakeLauncher()
    args: list[Any] = ["dcgan", "--out", "b", "--steps", "8", "--n", "100"]
    assert invoke(*args, launcher=launcher).exit_code == 0
    _set_times(Path("b/bench.json"), {"dcgan": 7200.0})
    result = invoke(*args, "--seeds", "0", "1", "--time-limit", "1h30m", launcher=launcher)
    assert result.exit_code == 75, result.output
    assert "expected to take 2:00:00" in result.output
    state = json.loads(Path("b/bench.json").read_text())
    assert state["sessions"][1]["time_limit"] == 5400.0
    assert "--time-limit" not in state["sessions"][1]["command"]
    result = invoke(*args, "--time-limit", "90", launcher=launcher)
    assert result.exit_code == 2 and "'90' is not a duration" in result.output


def test_a_held_job_keeps_the_state_it_had(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher({("dcgan", 1): "crash"}), seeds=[0, 1])
    _set_times(bench_dir(tmp_path) / "bench.json", {"dcgan": 1000.0, "gan": 10.0})
    result = go(tmp_path, FakeLauncher(), seeds=[0, 1], time_limit=100.0)
    assert result.exit_code == 75 and result.counts == {"done": 3, "failed": 1}
    state = json.loads((bench_dir(tmp_path) / "bench.json").read_text())
    assert state["jobs"]["dcgan-s1"]["state"] == "failed"  # its last attempt, not this bench's
    assert "dcgan seed 1: failed (ganzoo run exited with 2: error: something broke)" in (
        bench_dir(tmp_path) / "leaderboard.md").read_text()


def test_the_eta_under_a_time_limit_is_at_most_the_time_left_or_the_running_jobs() -> None:
    from ganzoo.bench import progress

    clock = [1000.0]
    jobs = [Job("dcgan", seed) for seed in range(6)]
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(progress.time, "monotonic", lambda: clock[0])
        free = progress.Progress(jobs, 2, lines.append)
        limited = progress.Progress(jobs, 2, lines.append, deadline=1000.0 + 1500)
        for p in (free, limited):
            p.started(jobs[0], "training")
        clock[0] += 600  # the first job took 600 s: five more of 600 s, two at a time
        for p in (free, limited):
            p.done(jobs[0], "done")
            p.started(jobs[1], "training")
        assert free.eta() == "0:25:00"  # 3000 s / 2
        assert limited.eta() == "0:15:00"  # the deadline is 900 s away
        clock[0] += 500
        assert free.eta() == "0:20:50" and limited.eta() == "0:06:40"
        for p in (free, limited):
            p.started(jobs[2], "training")  # started in time, ends after the deadline
        assert limited.eta() == "0:10:00"
        assert "eta 0:10:00" in lines[-1]


def test_the_eta_starts_from_the_earlier_sessions_times(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher(), seeds=[0])
    _set_times(bench_dir(tmp_path) / "bench.json", {"dcgan": 1000.0, "gan": 10.0})
    result = go(tmp_path, FakeLauncher(), seeds=[0, 1])
    first = next(ln for ln in result.lines if "dcgan seed 1: training" in ln)
    assert first.endswith("eta 0:16:50)")  # 1000 s + 10 s, one job at a time; not "?"


def test_this_sessions_time_of_a_model_outranks_its_prior() -> None:
    from ganzoo.bench import progress

    clock = [0.0]
    jobs = [Job("dcgan", 0), Job("dcgan", 1), Job("gan", 0), Job("wgan", 0)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(progress.time, "monotonic", lambda: clock[0])
        p = progress.Progress(jobs, 1, [].append, prior={"dcgan": 500.0, "gan": 50.0})
        assert p.eta() == "?"  # wgan: no prior and nothing ran yet
        p.started(jobs[0], "training")
        clock[0] = 100.0
        p.done(jobs[0], "done")
        # dcgan took 100 s here (its prior said 500), gan keeps its prior, wgan gets the
        # mean of this session's jobs
        assert p.eta() == "0:04:10"  # 100 + 50 + 100 s
