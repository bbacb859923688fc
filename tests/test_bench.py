"""`ganzoo bench`: table arithmetic, rendering, resumability (a fake launcher writes what
`ganzoo run/resume/eval` would, so nothing trains), errors, and one real tiny bench."""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.bench import Options, run_bench
from ganzoo.bench import table as tbl
from ganzoo.bench.launch import THREAD_VARS, child_env, thread_env
from ganzoo.bench.state import SPANNED, BenchState, Job, entry_changes
from ganzoo.cli.bench import bench
from ganzoo.errors import GanzooError

FD = {("dcgan", 0): 10.0, ("dcgan", 1): 14.0, ("dcgan", 2): 12.0,
      ("gan", 0): 30.0, ("gan", 1): 36.0, ("gan", 2): 33.0}
SECONDS = {"dcgan": 100.0, "gan": 50.0}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_grid(path: Path, value: int = 0) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((30, 30), value, dtype=np.uint8)).save(path)


def summary(steps: int = 8, seconds: float = 10.0, rate: float = 100.0,
            finished: bool = True, stopped: str | None = None) -> dict[str, Any]:
    return {"steps": steps, "epochs": 1, "seconds": seconds, "images_per_sec": rate,
            "precision": "float32", "stopped": stopped, "finished": finished}


def eval_json(fd: float, step: int = 8, n: int = 100, seed: int = 0) -> dict[str, Any]:
    return {"model": "m", "step": step, "seconds": 5.0,
            "metrics": {"frechet_distance": fd, "kid": fd / 10, "precision": 0.5,
                        "recall": 0.25, "class_shares": {"a": 1.0}},
            "protocol": {"samples": n, "requested_samples": n, "seed": seed,
                         "feature_extractor": {"name": "cnn", "version": 1, "sha256": "ab12"},
                         "reference": {"dataset": "fmnist", "split": "test", "n": 10000}}}


class FakeLauncher:
    """Writes the files `ganzoo run/resume/eval` would; `plans[(model, seed)]` picks a
    behaviour of `run`: ok, interrupt (exit 130), diverge (NaN), crash (exit 1)."""

    def __init__(self, plans: dict[tuple[str, int], str] | None = None,
                 entries: dict[str, Any] | None = None) -> None:
        self.plans = plans or {}
        self.entries = entries or {}  # the registry entry a run records, per model
        self.calls: list[tuple[str, str]] = []
        self.registries: list[str] = []

    def __call__(self, args: Sequence[str], log: Path) -> int:
        args = list(args)
        while args[0] == "--registry":  # the CLI group's option comes first
            self.registries.append(args[1])
            args = args[2:]
        action, target = args[0], Path(args[1])
        log.parent.mkdir(parents=True, exist_ok=True)
        if action == "run":
            run_dir = Path(args[args.index("--out") + 1])
            model, seed = args[1], int(args[args.index("--seed") + 1])
        else:
            run_dir = target
            config = json.loads((run_dir / "config.json").read_text())
            model, seed = config["model"], config["seed"]
        self.calls.append((action, f"{model}-s{seed}"))
        if action == "run":
            _write(run_dir / "config.json", {"model": model, "seed": seed, "total_steps": 8,
                                             "data": {"name": "fmnist-10k"},
                                             "precision": "float32",
                                             "tensorflow_version": "9.9", "keras_version": "3.x",
                                             **({"entry": self.entries[model]}
                                                if model in self.entries else {})})
            how = self.plans.get((model, seed), "ok")
            if how == "interrupt":
                _write(run_dir / "summary.json",
                       summary(steps=3, seconds=4.0, finished=False,
                               stopped="interrupted by SIGINT at step 3"))
                return 130
            if how == "diverge":
                _write(run_dir / "summary.json",
                       summary(steps=3, finished=False, stopped="d_loss became nan at step 3"))
                return 1
            if how == "crash":
                log.write_text("Traceback...\nerror: something broke\n")
                return 2
        if action in ("run", "resume"):
            _write(run_dir / "summary.json", summary(seconds=SECONDS.get(model, 10.0)))
            write_grid(run_dir / "grid.png", 40 * seed)
            return 0
        assert action == "eval"
        n = int(args[args.index("--n") + 1])
        _write(run_dir / "eval.json", eval_json(FD.get((model, seed), 1.0), n=n))
        return 0


def bench_dir(tmp_path: Path) -> Path:
    return tmp_path / "b"


def opts(**changes: Any) -> Options:
    return Options(**{"steps": 8, "n": 100, "assignments": ("visualizers=grid",), **changes})


def go(tmp_path: Path, launcher: Any, models: Sequence[str] = ("dcgan", "gan"),
       seeds: Sequence[int] = (0, 1, 2), **kw: Any) -> Any:
    lines: list[str] = []
    result = run_bench(bench_dir(tmp_path), models, seeds, kw.pop("options", opts()),
                       launcher=launcher, echo=lines.append, **kw)
    result.lines = lines
    return result


# -- arithmetic ---------------------------------------------------------------------------


def test_mean_sd_is_the_sample_sd_and_ratios_divide_by_the_reference() -> None:
    results = {"dcgan": [{"frechet_distance": v, "wall_seconds": 100.0 + i}
                         for i, v in enumerate([10.0, 14.0, 12.0])],
               "gan": [{"frechet_distance": v, "wall_seconds": 51.0} for v in [30, 36, 33]],
               "sngan": []}
    rows = {r["model"]: r for r in tbl.rows(results, reference="dcgan")}
    assert rows["dcgan"]["frechet_distance"] == (12.0, statistics.stdev([10, 14, 12]))
    assert rows["dcgan"]["frechet_distance"][1] == pytest.approx(2.0)
    assert rows["gan"]["fd_ratio"] == pytest.approx(33.0 / 12.0)
    assert rows["gan"]["time_ratio"] == pytest.approx(51.0 / 101.0)
    assert rows["dcgan"]["fd_ratio"] == 1.0
    assert rows["sngan"]["frechet_distance"] == (None, None) and rows["sngan"]["fd_ratio"] is None
    assert tbl.mean_sd([5.0]) == (5.0, None)
    assert tbl.mean_sd([1.0, None, float("nan"), 3.0]) == (2.0, pytest.approx(2 ** 0.5))
    assert tbl.fmt((12.0, 2.0), 1) == "12.0 ± 2.0" and tbl.fmt((5.0, None), 2) == "5.00"
    assert tbl.rows(results, reference=None)[0]["fd_ratio"] is None


def test_time_ratio_pairs_each_seed_with_the_references_same_seed() -> None:
    """Seed 0 on a fast machine, seed 1 on one 1.5x slower: each pair gives 0.5, whatever
    the machine, where the ratio of the means would give 0.5 only by chance."""
    results = {"dcgan": [{"seed": 0, "frechet_distance": 12.0, "wall_seconds": 100.0},
                         {"seed": 1, "frechet_distance": 12.0, "wall_seconds": 150.0}],
               "gan": [{"seed": 0, "frechet_distance": 13.0, "wall_seconds": 50.0},
                       {"seed": 1, "frechet_distance": 13.0, "wall_seconds": 75.0},
                       {"seed": 2, "frechet_distance": 13.0, "wall_seconds": 999.0}],
               "lsgan": [{"seed": 1, "frechet_distance": 20.0, "wall_seconds": 300.0}],
               "wgan": [{"seed": 5, "frechet_distance": 20.0, "wall_seconds": 250.0}]}
    rows = {r["model"]: r for r in tbl.rows(results, reference="dcgan")}
    assert rows["gan"]["time_ratio"] == pytest.approx(0.5)  # seed 2 has no dcgan pair
    assert rows["lsgan"]["time_ratio"] == pytest.approx(2.0)  # 300 / 150, not 300 / 125
    assert rows["wgan"]["time_ratio"] == pytest.approx(250.0 / 125.0)  # no pair: the means
    assert rows["dcgan"]["time_ratio"] == pytest.approx(1.0)


def test_fd_ratio_divides_by_the_references_runs_of_the_same_seeds() -> None:
    """A table being filled: lsgan has seed 1 only, and dcgan's seed 0 scored 10, seed 1
    scored 14; lsgan's 21 is 1.5x dcgan's 14, not 1.75x dcgan's mean of 12."""
    results = {"dcgan": [{"seed": 0, "frechet_distance": 10.0},
                         {"seed": 1, "frechet_distance": 14.0}],
               "gan": [{"seed": 0, "frechet_distance": 12.0},
                       {"seed": 1, "frechet_distance": 18.0}],
               "lsgan": [{"seed": 1, "frechet_distance": 21.0}],
               "wgan": [{"seed": 7, "frechet_distance": 24.0}],
               "sagan": [{"frechet_distance": 18.0}]}
    rows = {r["model"]: r for r in tbl.rows(results, reference="dcgan")}
    assert rows["lsgan"]["fd_ratio"] == pytest.approx(21.0 / 14.0)
    assert rows["gan"]["fd_ratio"] == pytest.approx(30.0 / 24.0)  # the ratio of the means
    assert rows["wgan"]["fd_ratio"] == pytest.approx(24.0 / 12.0)  # no seed in common
    assert rows["sagan"]["fd_ratio"] == pytest.approx(18.0 / 12.0)  # seeds unknown
    assert rows["dcgan"]["fd_ratio"] == 1.0


def test_missing_jobs_are_listed_once_per_model_and_reason() -> None:
    jobs = [Job("dcgan", 1), Job("dcgan", 2), Job("gan", 0, state="interrupted"), Job("gan", 1)]
    assert tbl._notes(jobs) == [("dcgan", "seeds 1, 2", "not run yet"),
                                ("gan", "seed 0", "interrupted (rerun the command to finish it)"),
                                ("gan", "seed 1", "not run yet")]


def test_a_resumed_run_counts_every_training_segment() -> None:
    job = Job("dcgan", 0, train=[summary(seconds=10, rate=100, finished=False),
                                 summary(seconds=30, rate=200)],
              eval={"metrics": {"frechet_distance": 7.0}, "seconds": 5.0},
              attempts=[{"seconds": 20.0}, {"seconds": 45.0}, {"seconds": 12.0}])
    r = job.results()
    assert r["train_seconds"] == 40 and r["eval_seconds"] == 5 and r["wall_seconds"] == 45
    assert r["images_per_sec"] == pytest.approx((10 * 100 + 30 * 200) / 40)
    assert r["process_seconds"] == 77 and r["frechet_distance"] == 7.0 and r["kid"] is None


def test_table_from_hand_made_run_folders(tmp_path: Path) -> None:
    """Folders already trained and scored: nothing is launched, the table reads them."""
    runs = bench_dir(tmp_path) / "runs"
    for (model, seed), fd in FD.items():
        _write(runs / f"{model}-s{seed}" / "config.json",
               {"model": model, "total_steps": 8, "data": {"name": "fmnist-10k"},
                "precision": "float32", "tensorflow_version": "9.9", "keras_version": "3.x"})
        _write(runs / f"{model}-s{seed}" / "summary.json", summary(seconds=SECONDS[model]))
        _write(runs / f"{model}-s{seed}" / "eval.json", eval_json(fd))
        write_grid(runs / f"{model}-s{seed}" / "grid.png")

    def no_launch(args: Sequence[str], log: Path) -> int:
        raise AssertionError(f"launched {args}")

    result = go(tmp_path, no_launch)
    assert result.exit_code == 0 and result.counts == {"done": 6}
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "| dcgan | 3/3 | 12.0 ± 2.0 | 1.200 ± 0.200 | 0.50 ± 0.00 | 0.25 ± 0.00 | " \
           "105 ± 0 | 100 ± 0 | 1.00 | 1.00 |" in md
    assert "| gan | 3/3 | 33.0 ± 3.0 |" in md and "| 2.75 | 0.52 |" in md
    assert "FD / dcgan" in md and "cnn v1 (sha256 ab12)" in md and "seeds**: 0 1 2" in md
    assert "ganzoo " in md and "TensorFlow 9.9" in md and "parallel jobs**: unknown" in md
    assert all(line.count("scored before, skipped") for line in result.lines[1:7])
    page = (bench_dir(tmp_path) / "leaderboard.html").read_text()
    assert "data:image/png;base64," in page and "default-src 'none'" in page
    assert "http://" not in page and "https://" not in page and "<td>gan</td>" in page
    from PIL import Image

    with Image.open(bench_dir(tmp_path) / "samples.png") as image:
        assert image.width > 2 * 30 and image.height > 30


def test_markdown_and_html_escape_what_comes_from_runs() -> None:
    evil = "<script>x</script>|*a*"
    rows = tbl.rows({evil: [{"frechet_distance": 1.0}]}, reference=evil)
    proto = [("data set", "<img src=x onerror=y>")]
    missing = [Job("a<b>", 1, state="failed", error="error: <bad> | thing")]
    md = tbl.markdown(rows, [0], evil, proto, missing)
    assert "<script>" not in md and "\\<script\\>x\\</script\\>\\|\\*a\\*" in md
    assert "\\<img src=x onerror=y\\>" in md and "failed (error: \\<bad\\> \\| thing)" in md
    assert md.count("\n| ") == 2  # the header and one row: the | in the name is escaped
    page = tbl.html_page(rows, [0], evil, proto, missing)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;|*a*" in page
    assert "&lt;img src=x onerror=y&gt;" in page and "a&lt;b&gt; seed 1" in page


# -- resumability -------------------------------------------------------------------------


def test_rerun_skips_scored_resumes_interrupted_and_rescores_missing_evals(
        tmp_path: Path) -> None:
    first = FakeLauncher({("gan", 1): "interrupt"})
    result = go(tmp_path, first)
    assert result.exit_code == 1
    assert result.counts == {"done": 5, "interrupted": 1}
    assert ("run", "gan-s1") in first.calls and ("eval", "gan-s1") not in first.calls
    state = json.loads((bench_dir(tmp_path) / "bench.json").read_text())
    assert state["jobs"]["gan-s1"]["state"] == "interrupted"
    assert state["jobs"]["dcgan-s0"]["eval"]["metrics"]["frechet_distance"] == 10.0
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "| gan | 2/3 |" in md and "- gan seed 1: interrupted (rerun the command" in md

    (bench_dir(tmp_path) / "runs" / "dcgan-s2" / "eval.json").unlink()
    second = FakeLauncher()
    result = go(tmp_path, second)
    assert result.exit_code == 0 and result.counts == {"done": 6}
    assert sorted(second.calls) == [("eval", "dcgan-s2"), ("eval", "gan-s1"),
                                    ("resume", "gan-s1")]
    job = Job.from_json(json.loads((bench_dir(tmp_path) / "bench.json").read_text())
                        ["jobs"]["gan-s1"])
    assert [a["action"] for a in job.attempts] == ["run", "resume", "eval"]
    assert job.results()["train_seconds"] == 4.0 + 50.0  # both segments
    assert "| gan | 3/3 | 33.0 ± 3.0 |" in (bench_dir(tmp_path) / "leaderboard.md").read_text()

    third = FakeLauncher()
    assert go(tmp_path, third).exit_code == 0 and third.calls == []


def test_an_eval_of_another_n_is_redone(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher(), models=["dcgan"], seeds=[0])
    run = bench_dir(tmp_path) / "runs" / "dcgan-s0"
    _write(run / "eval.json", eval_json(3.0, n=50))  # e.g. the user scored it by hand
    again = FakeLauncher()
    go(tmp_path, again, models=["dcgan"], seeds=[0])
    assert again.calls == [("eval", "dcgan-s0")]


def test_a_removed_run_folder_is_redone_without_its_old_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    go(tmp_path, FakeLauncher(), models=["dcgan"], seeds=[0])
    shutil.rmtree(bench_dir(tmp_path) / "runs" / "dcgan-s0")  # e.g. to retrain new defaults
    monkeypatch.setitem(SECONDS, "dcgan", 40.0)
    again = FakeLauncher()
    go(tmp_path, again, models=["dcgan"], seeds=[0])
    assert again.calls == [("run", "dcgan-s0"), ("eval", "dcgan-s0")]
    job = json.loads((bench_dir(tmp_path) / "bench.json").read_text())["jobs"]["dcgan-s0"]
    assert [s["seconds"] for s in job["train"]] == [40.0]
    assert "| 45 |" in (bench_dir(tmp_path) / "leaderboard.md").read_text()  # 40 s + 5 s eval


ENTRY = {"description": "d", "notes": "n", "dataset": "fashion-mnist-10k",
         "components": {"generator": "dcgan", "discriminator": "dcgan", "loss": "nsgan",
                        "penalties": [], "visualizers": ["grid"]},
         "defaults": {"lr_d": 0.0002, "epochs": 25}}


def changed(entry: dict[str, Any], **parts: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(entry))
    for key, value in parts.items():
        out[key] = {**out[key], **value} if isinstance(value, dict) else value
    return out


def test_entry_changes_name_each_changed_slot_default_and_data_set() -> None:
    assert entry_changes(ENTRY, changed(ENTRY, notes="other prose", description="x")) == []
    assert entry_changes(ENTRY, changed(ENTRY, defaults={"lr_d": 0.0001})) == [
        "lr_d 0.0002 -> 0.0001"]
    new = changed(ENTRY, components={"loss": "hinge"}, dataset="mnist",
                  defaults={"ema": 0.999})
    assert entry_changes(ENTRY, new) == ["loss 'nsgan' -> 'hinge'",
                                         "dataset 'fashion-mnist-10k' -> 'mnist'",
                                         "ema None -> 0.999"]
    as_tuples = changed(ENTRY, components={"visualizers": ("grid",)})
    assert entry_changes(ENTRY, as_tuples) == []  # JSON has no tuples: lists compare equal


def test_a_run_of_other_defaults_is_moved_aside_and_redone(tmp_path: Path) -> None:
    old, new = ENTRY, changed(ENTRY, defaults={"lr_d": 0.0001})
    go(tmp_path, FakeLauncher(entries={"dcgan": old}), models=["dcgan", "gan"], seeds=[0],
       entries={"dcgan": old, "gan": old})
    runs = bench_dir(tmp_path) / "runs"
    again = FakeLauncher(entries={"dcgan": new})
    result = go(tmp_path, again, models=["dcgan", "gan"], seeds=[0],
                entries={"dcgan": new, "gan": new})
    # dcgan's run recorded the old entry: redone; gan's fake run recorded none: kept
    assert again.calls == [("run", "dcgan-s0"), ("eval", "dcgan-s0")]
    assert sorted(p.name for p in runs.iterdir()) == ["dcgan-s0", "dcgan-s0.stale-1", "gan-s0"]
    kept = json.loads((runs / "dcgan-s0.stale-1" / "config.json").read_text())
    assert kept["entry"]["defaults"]["lr_d"] == 0.0002 and (
        runs / "dcgan-s0.stale-1" / "eval.json").is_file()  # moved whole, nothing lost
    assert any("dcgan's entry changed since this run (lr_d 0.0002 -> 0.0001): its folder "
               f"moved to {runs / 'dcgan-s0.stale-1'}" in ln for ln in result.lines)
    job = json.loads((bench_dir(tmp_path) / "bench.json").read_text())["jobs"]["dcgan-s0"]
    assert [a["changed"] for a in job["set_aside"]] == [["lr_d 0.0002 -> 0.0001"]]
    assert [a["action"] for a in job["attempts"]] == ["run", "eval", "run", "eval"]
    assert len(job["train"]) == 1  # the old run's figures went with its folder

    prose = FakeLauncher()  # the notes of an entry are not what a run trains
    go(tmp_path, prose, models=["dcgan"], seeds=[0],
       entries={"dcgan": changed(new, notes="measured again")})
    assert prose.calls == []
    third = FakeLauncher(entries={"dcgan": old})  # and back: a second folder is kept too
    go(tmp_path, third, models=["dcgan"], seeds=[0], entries={"dcgan": old})
    assert (runs / "dcgan-s0.stale-2").is_dir() and third.calls[0] == ("run", "dcgan-s0")


def test_a_stale_run_that_cannot_be_moved_fails_its_job_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = ENTRY, changed(ENTRY, defaults={"lr_d": 0.0001})
    go(tmp_path, FakeLauncher(entries={"dcgan": old, "gan": old}), models=["dcgan", "gan"],
       seeds=[0], entries={"dcgan": old, "gan": old})
    real_rename = Path.rename

    def refuse(self: Path, target: Any) -> Path:
        if self.name == "dcgan-s0":
            raise PermissionError(13, "Permission denied")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)
    again = FakeLauncher(entries={"dcgan": new, "gan": new})
    result = go(tmp_path, again, models=["dcgan", "gan"], seeds=[0],
                entries={"dcgan": new, "gan": new})
    runs = bench_dir(tmp_path) / "runs"
    job = json.loads((bench_dir(tmp_path) / "bench.json").read_text())["jobs"]["dcgan-s0"]
    assert job["state"] == "failed"
    assert job["error"] == (f"{runs / 'dcgan-s0'} ran with other defaults than dcgan's entry "
                            "has now (lr_d 0.0002 -> 0.0001) and cannot be moved aside: "
                            "Permission denied; move or delete it yourself")
    failed = [ln for ln in result.lines if "FAILED" in ln]
    assert len(failed) == 1 and "internal error" not in failed[0] and "traceback" not in failed[0]
    # the run folder is untouched and the other model went on (its stale run moved aside)
    assert json.loads((runs / "dcgan-s0" / "config.json").read_text())["entry"] == old
    assert again.calls == [("run", "gan-s0"), ("eval", "gan-s0")]


def test_the_command_compares_run_folders_with_the_registry(tmp_path: Path) -> None:
    """The entries come from the registry as `ganzoo run` plans it: a scored run of the
    current entry is skipped, one of an older entry is moved aside and trained again."""
    from ganzoo.api import catalog
    from ganzoo.training.plan import plan

    current = plan("dcgan", catalog=catalog(), overrides={"steps": 8}).entry
    runs = Path("b/runs")
    for name, entry in (("dcgan-s0", current),
                        ("dcgan-s1", changed(current, defaults={"lr_d": 0.001}))):
        _write(runs / name / "config.json", {"model": "dcgan", "seed": int(name[-1]),
                                             "entry": entry})
        _write(runs / name / "summary.json", summary())
        _write(runs / name / "eval.json", eval_json(5.0, n=100))
    launcher = FakeLauncher()
    result = invoke("dcgan", "--seeds", "0", "1", "--out", "b", "--steps", "8", "--n", "100",
                    launcher=launcher)
    assert result.exit_code == 0, result.output
    assert launcher.calls == [("run", "dcgan-s1"), ("eval", "dcgan-s1")]
    assert "(lr_d 0.001 -> 0.0002)" in result.output
    assert (runs / "dcgan-s1.stale-1" / "eval.json").is_file()


def test_failed_jobs_are_retried_and_diverged_ones_are_not(tmp_path: Path) -> None:
    first = FakeLauncher({("dcgan", 0): "crash", ("gan", 0): "diverge"})
    result = go(tmp_path, first, seeds=[0])
    assert result.exit_code == 1 and result.counts == {"failed": 1, "diverged": 1}
    assert any("FAILED: ganzoo run exited with 2: error: something broke" in ln
               for ln in result.lines)
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "gan seed 0: diverged (d\\_loss became nan at step 3)" in md
    second = FakeLauncher()
    result = go(tmp_path, second, seeds=[0])
    assert second.calls == [("resume", "dcgan-s0"), ("eval", "dcgan-s0")]
    assert result.counts == {"done": 1, "diverged": 1}
    assert any("diverged before" in ln and "not retried" in ln for ln in result.lines)


def test_other_options_for_the_same_folder_are_refused(tmp_path: Path) -> None:
    go(tmp_path, FakeLauncher(), models=["dcgan"], seeds=[0])
    before = (bench_dir(tmp_path) / "bench.json").read_text()
    with pytest.raises(GanzooError, match=r"other options \(steps 8 -> 9\)"):
        go(tmp_path, FakeLauncher(), models=["dcgan"], seeds=[0], options=opts(steps=9))
    assert (bench_dir(tmp_path) / "bench.json").read_text() == before
    more = FakeLauncher()  # more seeds under the same options are fine
    go(tmp_path, more, models=["dcgan"], seeds=[0, 1])
    assert more.calls == [("run", "dcgan-s1"), ("eval", "dcgan-s1")]


def test_progress_lines_and_parallel_jobs(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for var in THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("ganzoo.bench.launch.os.cpu_count", lambda: 4)
    launcher = FakeLauncher()
    result = go(tmp_path, launcher, parallel=2)
    starts = [ln for ln in result.lines if ": training" in ln]
    dones = [ln for ln in result.lines if ": done: FD" in ln]
    assert len(starts) == 6 and len(dones) == 6
    assert all("elapsed 0:00:0" in ln and "eta " in ln for ln in starts + dones)
    assert any(ln.startswith("[1/6] dcgan seed 0: training") for ln in starts)
    assert any(ln.startswith("[6/6] gan seed 2: done: FD 33, KID 3.3, 100 images/s, wall 55 s")
               for ln in dones)
    state = json.loads((bench_dir(tmp_path) / "bench.json").read_text())
    assert {a["jobs"] for j in state["jobs"].values() for a in j["attempts"]} == {2}
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert ("parallel jobs**: 2 (wall times of parallel jobs are not comparable); "
            "TF\\_NUM\\_INTRAOP\\_THREADS 2 in each") in md
    assert state["sessions"][0]["threads"] == {"TF_NUM_INTRAOP_THREADS": "2",
                                               "TF_NUM_INTEROP_THREADS": "1"}


def test_parallel_children_share_the_cores_unless_the_user_sized_the_pools() -> None:
    assert thread_env(1, {}, cpus=2) == {}
    assert thread_env(2, {}, cpus=2) == {"TF_NUM_INTRAOP_THREADS": "1",
                                         "TF_NUM_INTEROP_THREADS": "1"}
    assert thread_env(3, {}, cpus=16)["TF_NUM_INTRAOP_THREADS"] == "5"
    assert thread_env(4, {}, cpus=2)["TF_NUM_INTRAOP_THREADS"] == "1"  # never 0
    assert thread_env(2, {"TF_NUM_INTEROP_THREADS": "2"}, cpus=8) == {}
    env = child_env({"TF_NUM_INTRAOP_THREADS": "3"})
    assert env["TF_NUM_INTRAOP_THREADS"] == "3" and env["PYTHONUNBUFFERED"] == "1"


# -- sessions: wall times pair within one -----------------------------------------------


SESSIONS = [{"started": "2026-01-01T10:00:00Z"}, {"started": "2026-01-02T10:00:00Z"}]


def test_a_job_knows_the_machine_that_trained_it() -> None:
    def job(*attempts: dict[str, Any], sessions: Any = SESSIONS) -> str | None:
        return Job("gan", 0, attempts=list(attempts)).timing_machine(sessions)

    assert job({"action": "run", "session": 1}) == "session 2"
    # bench.json from before attempts said their session: read from the start times
    assert job({"action": "run", "started": "2026-01-01T11:00:00Z"},
               {"action": "eval", "started": "2026-01-02T12:00:00Z"}
               ) == "session 1"  # scoring elsewhere does not matter
    assert job({"action": "run", "started": "2026-01-01T11:00:00Z"},
               {"action": "resume", "started": "2026-01-02T12:00:00Z"}) == SPANNED
    assert job({"action": "run", "exit_code": 130, "started": "2026-01-01T11:00:00Z"},
               {"action": "run", "started": "2026-01-02T12:00:00Z"}
               ) == "session 2"  # started again from scratch: one machine
    booted = [{**s, "machine": {"boot": "b1"}} for s in SESSIONS]
    assert job({"action": "run", "session": 0}, {"action": "resume", "session": 1},
               sessions=booted) == "boot b1"  # restarted on the same machine
    assert job() is None  # trained outside the bench
    assert job({"action": "run", "started": "2025-12-31T00:00:00Z"}) is None  # unknown
    assert Job("dcgan", 3, session=1).id == "dcgan-s3-t2"


def test_time_ratio_pairs_on_one_machine_and_a_timing_run_supplies_the_pair() -> None:
    """Seed 0's gan trained beside dcgan on machine A; seed 0's lsgan on B, twice as
    slow, where dcgan was trained again (the timing run)."""
    results = {"dcgan": [{"seed": 0, "machine": "A", "frechet_distance": 12.0,
                          "wall_seconds": 100.0}],
               "gan": [{"seed": 0, "machine": "A", "frechet_distance": 13.0,
                        "wall_seconds": 50.0}],
               "lsgan": [{"seed": 0, "machine": "B", "frechet_distance": 14.0,
                          "wall_seconds": 300.0}],
               "wgan": [{"seed": 0, "machine": "C", "frechet_distance": 15.0,
                         "wall_seconds": 80.0}],
               "dragan": [{"seed": 0, "machine": SPANNED, "frechet_distance": 15.0,
                           "wall_seconds": 80.0}]}
    timing = [{"seed": 0, "machine": "B", "frechet_distance": 11.0, "wall_seconds": 200.0}]
    rows = {r["model"]: r for r in tbl.rows(results, "dcgan", timing)}
    assert rows["gan"]["time_ratio"] == pytest.approx(0.5)
    assert rows["lsgan"]["time_ratio"] == pytest.approx(1.5)  # 300 / 200, not 300 / 100
    assert rows["wgan"]["time_ratio"] is None  # no dcgan on C: no ratio at all
    assert rows["dragan"]["time_ratio"] is None  # resumed on another machine
    assert rows["dcgan"]["frechet_distance"] == (12.0, None)  # the timing run is not a seed
    assert rows["lsgan"]["fd_ratio"] == pytest.approx(14.0 / 12.0)
    assert tbl.rows(results, "dcgan")[2]["time_ratio"] is None  # without the timing run


def another_machine_each_session(monkeypatch: pytest.MonkeyPatch) -> None:
    boots = iter(range(100))
    monkeypatch.setattr("ganzoo.bench.jobs.machine",
                        lambda: {"processor": "cpu", "cpus": 2, "boot": f"b{next(boots)}"})


def test_a_seed_finished_on_another_machine_retrains_the_reference_for_timing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    another_machine_each_session(monkeypatch)
    go(tmp_path, FakeLauncher(), seeds=[0])  # session 1: dcgan 100 s, gan 50 s
    monkeypatch.setitem(SECONDS, "dcgan", 200.0)  # session 2: a machine twice as slow
    monkeypatch.setitem(SECONDS, "lsgan", 150.0)
    second = FakeLauncher()
    result = go(tmp_path, second, models=("dcgan", "gan", "lsgan"), seeds=[0])
    assert result.exit_code == 0
    assert second.calls == [("run", "dcgan-s0"), ("eval", "dcgan-s0"),
                            ("run", "lsgan-s0"), ("eval", "lsgan-s0")]
    assert (bench_dir(tmp_path) / "runs" / "dcgan-s0-t2" / "summary.json").is_file()
    assert any("dcgan trained again first for seed(s) 0" in ln for ln in result.lines)
    assert any(ln.startswith("[1/4] dcgan seed 0 (timing run, session 2): training")
               for ln in result.lines)
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "| dcgan | 1/1 | 10.0 | 1.000 | 0.50 | 0.25 | 105 |" in md  # its own job's figures
    assert "| 0.52 |" in md  # gan: 55 / 105, session 1
    assert "| 0.76 |" in md  # lsgan: 155 / 205, session 2; not 155 / 105 = 1.48
    assert "timing runs**: dcgan seed 0 trained again in session 2 of 2" in md
    assert "same seed trained on the same machine" in md
    third = FakeLauncher()  # nothing left to train: no timing run either
    assert go(tmp_path, third, models=("dcgan", "gan", "lsgan"), seeds=[0]).exit_code == 0
    assert third.calls == []
    resumed = FakeLauncher({("wgan", 0): "interrupt"})
    go(tmp_path, resumed, models=("dcgan", "wgan"), seeds=[0])
    assert resumed.calls[:2] == [("run", "dcgan-s0"), ("eval", "dcgan-s0")]
    finish = FakeLauncher()  # wgan only resumes here: a timing run could not pair with it
    go(tmp_path, finish, models=("dcgan", "wgan"), seeds=[0])
    assert finish.calls == [("resume", "wgan-s0"), ("eval", "wgan-s0")]
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "| wgan | 1/1 | 1.0 | 0.100 | 0.50 | 0.25 | 19 | 100 | 0.10 | – |" in md
    assert "time / dcgan is – where no run of the model has a dcgan run" in md
    assert "a run resumed on another machine has none" in (
        bench_dir(tmp_path) / "leaderboard.html").read_text()


def test_ctrl_c_stops_after_the_running_job_and_the_table_is_still_written(
        tmp_path: Path) -> None:
    inner = FakeLauncher()

    def interrupted(args: Sequence[str], log: Path) -> int:
        if args[0] == "run" and args[1] == "gan":
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C at the terminal does
            # the bench's handler runs in the main thread; a real child exits 130 only
            # after the handler forwarded the signal, so give it the time to run first
            time.sleep(0.3)
            inner(args, log)
            return 130
        return inner(args, log)

    result = go(tmp_path, interrupted, seeds=[0, 1])
    assert result.exit_code == 130
    assert result.counts.get("done") == 1 and result.counts.get("pending") == 2
    assert any(ln.startswith("SIGINT: stopping") for ln in result.lines)
    assert (bench_dir(tmp_path) / "leaderboard.md").is_file()
    again = FakeLauncher()
    assert go(tmp_path, again, seeds=[0, 1]).exit_code == 0
    assert ("run", "gan-s0") not in again.calls and ("eval", "gan-s0") in again.calls


# -- the command --------------------------------------------------------------------------


def invoke(*args: str, launcher: Any = None) -> Any:
    return CliRunner().invoke(bench, list(args), obj={"bench_launcher": launcher})


def test_command_reads_seeds_lists_and_passes_options_through(tmp_path: Path) -> None:
    launcher = FakeLauncher()
    result = invoke("dcgan", "--seeds", "0", "1", "gan", "--out", "b", "--steps", "8",
                    "--set", "visualizers=grid", "--n", "100", launcher=launcher)
    assert result.exit_code == 0, result.output
    assert sorted(launcher.calls) == sorted(
        (a, f"{m}-s{s}") for a in ("run", "eval") for m in ("dcgan", "gan") for s in (0, 1))
    state = json.loads(Path("b/bench.json").read_text())
    assert state["options"]["set"] == ["visualizers=grid"] and state["options"]["n"] == 100
    assert state["sessions"][0]["command"] == ("ganzoo bench dcgan gan --seeds 0 1 --out b "
                                               "--steps 8 --set visualizers=grid --n 100")
    result = invoke("dcgan", "--seeds=2,3", "--out", "c", "--steps", "8", launcher=launcher)
    assert result.exit_code == 0 and ("run", "dcgan-s3") in launcher.calls
    result = invoke("dcgan", "--seeds", "0", "--out", "b", "--steps", "9", launcher=launcher)
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert "/b was benched with other options (n 100 -> 10000; set ['visualizers=grid'] -> []; " \
        "steps 8 -> 9); rerun with the same options" in result.stderr


def test_inside_the_cli_group_with_a_registry_file(write_registry: Any, make_entry: Any
                                                    ) -> None:
    """What the lead's ``cli.add_command(bench)`` gives: the group's --registry reaches the
    preflight check and every child."""
    import copy

    from ganzoo.cli import cli

    group = copy.copy(cli)
    group.commands = {**cli.commands, "bench": bench}
    reg = write_registry({"hingegan": make_entry()})
    launcher = FakeLauncher()
    result = CliRunner().invoke(group, ["--registry", str(reg), "bench", "hingegan", "--out",
                                        "b", "--steps", "8"], obj={"bench_launcher": launcher})
    assert result.exit_code == 0, result.output
    assert launcher.calls == [("run", "hingegan-s0"), ("eval", "hingegan-s0")]
    assert launcher.registries == [str(reg.resolve())] * 2
    result = CliRunner().invoke(group, ["bench", "hingegan", "--out", "c"],
                                obj={"bench_launcher": launcher})
    assert result.exit_code == 2 and "unknown model 'hingegan'" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "--out", "b"], "unknown model 'nope'"),
    (["dcgan", "--seeds", "--out", "b"], "--seeds needs one or more seeds"),
    (["dcgan", "--out", "b", "--seeds"], "--seeds needs one or more seeds"),
    (["dcgan", "--out", "afile"], "--out afile: exists and is not a folder"),
    (["dcgan", "--out", "b", "--steps", "3", "--epochs", "1"], "either --epochs or --steps"),
    (["dcgan", "gan", "--out", "b", "--reference", "wgan"], "--reference wgan: not among"),
    (["dcgan", "--out", "b", "--set", "lr_g=fast"], "lr_g"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    Path("afile").write_text("x")
    result = invoke(*args, launcher=FakeLauncher())
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not Path("b").exists()
    if "unknown model" in message:
        assert "known models:" in lines[0] and "dcgan" in lines[0]


def test_help_explains_the_command() -> None:
    text = CliRunner().invoke(bench, ["--help"]).output
    for words in ("--seeds", "--jobs", "not comparable", "Resumable", "leaderboard.md",
                  "samples.png", "bench.json", "--reference", "ganzoo resume", "MODEL-sS.log",
                  "--table-only"):
        assert words in text, words


def test_an_unknown_state_file_is_refused(tmp_path: Path) -> None:
    _write(bench_dir(tmp_path) / "bench.json", {"format": 99})
    with pytest.raises(GanzooError, match="not a bench state file"):
        BenchState.open(bench_dir(tmp_path), opts())


def test_subprocess_launcher_logs_and_forwards_an_interrupt(tmp_path: Path) -> None:
    """Children run in their own session; `interrupt` signals them, and no child starts
    after it."""
    import sys
    import threading
    import time

    from ganzoo.bench.launch import SubprocessLauncher, child_env, last_error

    script = ("import signal, sys, time; print('up', sys.argv[1:], flush=True); "
              "signal.signal(signal.SIGINT, lambda *a: sys.exit(130)); time.sleep(60)")
    launcher = SubprocessLauncher(prefix=[sys.executable, "-c", script])
    log = tmp_path / "logs" / "x.log"
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(launcher(["run", "x"], log)))
    worker.start()
    deadline = time.monotonic() + 30
    while "up ['run', 'x']" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    launcher.interrupt()
    worker.join(30)
    assert codes == [130]
    assert launcher(["eval", "x"], log) == 130  # refused, not started
    assert log.read_text().startswith("\n$ ganzoo run x\n") and log.read_text().endswith(
        "$ ganzoo eval x\n")
    log.write_text("error: first\nTraceback\nerror: the real one\nexit\n")
    assert last_error(log) == "error: the real one"
    assert child_env()["PYTHONPATH"].split(os.pathsep)[0] == str(
        Path(__file__).resolve().parents[1])


# -- one real bench -----------------------------------------------------------------------


@pytest.mark.tf
def test_real_bench_of_one_tiny_run(tmp_path: Path) -> None:
    """`ganzoo run` and `ganzoo eval` as child processes, end to end (~50 s on 2 cores)."""
    result = CliRunner().invoke(bench, ["dcgan", "--seeds", "0", "--out", str(tmp_path / "b"),
                                        "--steps", "4", "--set", "visualizers=grid",
                                        "--set", "batch_size=16", "--n", "100"], obj={})
    log = (tmp_path / "b" / "logs" / "dcgan-s0.log")
    assert result.exit_code == 0, result.output + (log.read_text() if log.exists() else "")
    b = tmp_path / "b"
    for name in ("bench.json", "leaderboard.md", "leaderboard.html", "samples.png",
                 "runs/dcgan-s0/eval.json", "runs/dcgan-s0/summary.json", "logs/dcgan-s0.log"):
        assert (b / name).is_file(), name
    md = (b / "leaderboard.md").read_text()
    assert "| dcgan | 1/1 |" in md and "ganzoo-fmnist-cnn" in md and "4 generator steps" in md
    job = json.loads((b / "bench.json").read_text())["jobs"]["dcgan-s0"]
    assert job["state"] == "done" and job["eval"]["protocol"]["requested_samples"] == 100
    assert [a["action"] for a in job["attempts"]] == ["run", "eval"]


def test_a_run_lost_with_its_session_is_trained_again_beside_a_timing_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session ended inside gan's run and its machine took the folder along: the next
    session (twice as slow) trains gan from its first step, and it pairs with dcgan's
    timing run there, not with dcgan's run of the first machine."""
    another_machine_each_session(monkeypatch)
    go(tmp_path, FakeLauncher({("gan", 0): "interrupt"}), seeds=[0])
    shutil.rmtree(bench_dir(tmp_path) / "runs" / "gan-s0")
    monkeypatch.setitem(SECONDS, "dcgan", 200.0)
    monkeypatch.setitem(SECONDS, "gan", 100.0)
    again = FakeLauncher()
    go(tmp_path, again, seeds=[0])
    assert again.calls == [("run", "dcgan-s0"), ("eval", "dcgan-s0"),
                           ("run", "gan-s0"), ("eval", "gan-s0")]
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "| gan | 1/1 | 30.0 | 3.000 | 0.50 | 0.25 | 105 | 100 | 3.00 | 0.51 |" in md  # 105/205


def test_a_bench_restarted_on_the_same_machine_needs_no_timing_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ganzoo.bench.jobs.machine", lambda: {"processor": "cpu", "boot": "b"})
    go(tmp_path, FakeLauncher({("gan", 0): "interrupt"}), seeds=[0])  # Ctrl-C, then again
    again = FakeLauncher()
    go(tmp_path, again, models=("dcgan", "gan", "lsgan"), seeds=[0])
    assert again.calls == [("resume", "gan-s0"), ("eval", "gan-s0"),
                           ("run", "lsgan-s0"), ("eval", "lsgan-s0")]
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert "| gan | 1/1 | 30.0 | 3.000 | 0.50 | 0.25 | 59 | 100 | 3.00 | 0.56 |" in md  # 59/105
    assert "timing runs" not in md


def test_the_sample_figure_shows_scored_runs_only(tmp_path: Path) -> None:
    from ganzoo.bench.figure import write_samples

    go(tmp_path, FakeLauncher({("gan", 0): "interrupt"}), seeds=[0])
    runs = bench_dir(tmp_path) / "runs"
    write_grid(runs / "gan-s0" / "grid.png", 200)  # what a run leaves before it finishes
    state = BenchState.open(bench_dir(tmp_path), opts())
    tbl.write_outputs(state, ["dcgan", "gan"], [0], None)
    alone = write_samples(tmp_path / "alone.png", [("dcgan", runs / "dcgan-s0" / "grid.png")])
    both = write_samples(tmp_path / "both.png", [("dcgan", runs / "dcgan-s0" / "grid.png"),
                                                 ("gan", runs / "gan-s0" / "grid.png")])
    assert alone is not None and both is not None
    written = (bench_dir(tmp_path) / "samples.png").read_bytes()
    assert written == alone.read_bytes() and written != both.read_bytes()


def test_a_timing_run_stopped_on_this_machine_is_resumed_not_begun_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 2 (another machine) is stopped inside dcgan's timing run, after gan's run
    of the seed ended there; session 3 (restarted on that machine) resumes the timing run
    and gan's time pairs with it."""
    boots = iter(["b1", "b2", "b2"])
    monkeypatch.setattr("ganzoo.bench.jobs.machine",
                        lambda: {"processor": "cpu", "cpus": 2, "boot": next(boots)})
    go(tmp_path, FakeLauncher(), models=["dcgan"], seeds=[0])
    monkeypatch.setitem(SECONDS, "dcgan", 200.0)
    second = FakeLauncher({("dcgan", 0): "interrupt"})
    go(tmp_path, second, seeds=[0], parallel=2)
    assert sorted(second.calls) == [("eval", "gan-s0"), ("run", "dcgan-s0"), ("run", "gan-s0")]
    third = FakeLauncher()
    result = go(tmp_path, third, seeds=[0])
    assert third.calls == [("resume", "dcgan-s0"), ("eval", "dcgan-s0")]
    assert any("dcgan seed 0 (timing run, session 2): resuming" in ln for ln in result.lines)
    assert not (bench_dir(tmp_path) / "runs" / "dcgan-s0-t3").exists()
    md = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    # 55 / (4 s before the stop + 200 s resumed + 5 s scoring)
    assert "| gan | 1/1 | 30.0 | 3.000 | 0.50 | 0.25 | 55 | 100 | 3.00 | 0.26 |" in md
