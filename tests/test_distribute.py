"""tf.distribute: checks of user input (no TensorFlow), then real runs in fresh interpreters.

- Two logical CPU devices under MirroredStrategy give the default strategy's losses and
  weights for the same seed and global batch. Logical devices must be configured before
  TensorFlow initialises its devices, hence a subprocess.
- Two worker processes on loopback, each with its own TF_CONFIG, train with
  MultiWorkerMirroredStrategy: both end with identical weights and only the chief writes.
Every wait has a timeout and the workers are killed in a `finally`.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli
from ganzoo.engine import distribute
from ganzoo.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
WORKER = {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]},
          "task": {"type": "worker", "index": 1}}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GANZOO_", "TF_CONFIG"))}
    env["GANZOO_OFFLINE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


# -- input checks, no TensorFlow --------------------------------------------------------------

@pytest.mark.parametrize(("tf_config", "message"), [
    (None, "TF_CONFIG, which is not set"),
    ("{not json", "TF_CONFIG is not valid JSON"),
    (json.dumps({"task": WORKER["task"]}), "no 'cluster' mapping"),
    (json.dumps({"cluster": WORKER["cluster"]}), "no 'task' with 'type' and 'index'"),
    (json.dumps({**WORKER, "task": {"type": "worker", "index": 2}}), "task worker:2 is not in"),
    (json.dumps({"cluster": {"ps": ["h:1"]}, "task": {"type": "ps", "index": 0}}),
     "chief and worker tasks only"),
    (json.dumps({"cluster": {"worker": "h:1"}, "task": {"type": "worker", "index": 0}}),
     "must be a list"),
])
def test_bad_tf_config_is_a_one_line_error(tf_config: str | None, message: str) -> None:
    environ = {} if tf_config is None else {"TF_CONFIG": tf_config}
    with pytest.raises(ConfigError, match=message) as info:
        distribute.check_tf_config(environ)
    assert "\n" not in str(info.value)


def test_good_tf_config_is_parsed() -> None:
    assert distribute.check_tf_config({"TF_CONFIG": json.dumps(WORKER)}) == WORKER


def test_cli_multi_worker_without_tf_config_fails_before_training(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["run", "dcgan", "--strategy", "multi-worker",
                                      "--out", "r"], obj={})
    assert result.exit_code == 2
    assert result.output.startswith("error: --strategy multi-worker reads the cluster from")
    assert not (tmp_path / "r").exists()


def test_cli_unknown_strategy_is_refused() -> None:
    result = CliRunner().invoke(cli, ["run", "dcgan", "--strategy", "horovod"], obj={})
    assert result.exit_code == 2 and "'horovod' is not one of" in result.output


def test_strategy_is_a_checked_config_key(catalog: Any) -> None:
    from ganzoo.zoo.config import resolve
    from ganzoo.zoo.registry import get

    entry, _, _ = get(catalog, "dcgan")
    assert resolve(entry, catalog)["strategy"] == "default"
    assert resolve(entry, catalog, {"strategy": "mirrored"})["strategy"] == "mirrored"
    with pytest.raises(ConfigError, match="choose one of default, mirrored, multi-worker, tpu"):
        resolve(entry, catalog, {"strategy": "ring"})


def test_global_batch_must_split_over_replicas() -> None:
    three = SimpleNamespace(num_replicas_in_sync=3)
    distribute.check_batch(63, three)
    with pytest.raises(ConfigError, match=r"--batch-size 64 does not split evenly over 3 "
                                          r"replicas; use a multiple of 3 \(e.g. 63 or 66\)"):
        distribute.check_batch(64, three)
    with pytest.raises(ConfigError, match=r"\(e.g. 4\)"):
        distribute.check_batch(2, SimpleNamespace(num_replicas_in_sync=4))


def _fake_strategy(task_type: str | None, task_id: int, jobs: list[str],
                   multi_worker: bool = True) -> Any:
    spec = SimpleNamespace(jobs=jobs)
    resolver = SimpleNamespace(task_type=task_type, task_id=task_id,
                               cluster_spec=lambda: spec)
    extended = SimpleNamespace(_in_multi_worker_mode=lambda: multi_worker)
    return SimpleNamespace(cluster_resolver=resolver, extended=extended)


@pytest.mark.parametrize(("task_type", "task_id", "jobs", "multi", "chief"), [
    ("worker", 0, ["worker"], True, True),      # no chief job: worker 0 is the chief
    ("worker", 1, ["worker"], True, False),
    ("worker", 0, ["chief", "worker"], True, False),
    ("chief", 0, ["chief", "worker"], True, True),
    ("worker", 1, ["worker"], False, True),     # not multi-worker: always the chief
])
def test_chief_follows_tensorflow_convention(task_type: str, task_id: int, jobs: list[str],
                                             multi: bool, chief: bool) -> None:
    assert distribute.is_chief(_fake_strategy(task_type, task_id, jobs, multi)) is chief
    assert distribute.is_chief(SimpleNamespace(extended=SimpleNamespace())) is True


# -- MirroredStrategy on two logical CPUs against the default strategy ------------------------

_MIRRORED = """
import csv, json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import h5py
import numpy as np
import ganzoo

def weights(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.append(obj[()]) if isinstance(obj, h5py.Dataset)
                     else None)
    return out

report = {}
for name, strategy, extra in [
        ("default-nonorm", "default", {"g_norm": "none", "d_norm": "none"}),
        ("mirrored-nonorm", "mirrored", {"g_norm": "none", "d_norm": "none"}),
        ("default-bn", "default", {}),
        ("mirrored-syncbn", "mirrored", {})]:
    result = ganzoo.train("dcgan", steps=3, batch_size=16, seed=5, out=name, strategy=strategy,
                          verbose=0, overrides={"precision": "float32", "grid_rows": 2,
                                                "visualizers": [], **extra})
    rows = list(csv.DictReader(open(f"{name}/metrics.csv")))
    w = weights(result.export_path)
    report[name] = {"losses": [[float(r["d_loss"]), float(r["g_loss"])] for r in rows],
                    "weights": [a.ravel().tolist() for a in w]}
print("@@" + json.dumps(report))
"""


@pytest.fixture(scope="module")
def mirrored_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("mirrored")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_MIRRORED)], cwd=folder,
                          env=_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "strategy mirrored: 2 replicas" in proc.stderr
    return json.loads(proc.stdout.rpartition("@@")[2])


def _max_rel(a: Any, b: Any) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / (np.abs(a) + 1e-3)))


@pytest.mark.tf
def test_mirrored_matches_default_without_batchnorm(mirrored_runs: dict[str, Any]) -> None:
    """No BatchNorm: 2 replicas of 8 images equal 1 device with 16, step by step.

    Weights agree to well under one Adam step (lr 2e-4): summing two half-batch gradients
    rounds differently from one full-batch gradient, and Adam's m / sqrt(v) magnifies
    rounding where a gradient is near zero, so bit equality is not expected.
    """
    import numpy as np

    one, two = mirrored_runs["default-nonorm"], mirrored_runs["mirrored-nonorm"]
    assert len(one["losses"]) == len(two["losses"]) == 3
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-5, atol=1e-6)
    assert len(one["weights"]) == len(two["weights"]) > 10
    for a, b in zip(one["weights"], two["weights"], strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-4)
    assert one["weights"] != mirrored_runs["default-bn"]["weights"][:len(one["weights"])]


@pytest.mark.tf
def test_mirrored_synchronized_batchnorm_matches_default(mirrored_runs: dict[str, Any]) -> None:
    """DCGAN's BatchNorm: global-batch statistics (the default, sync_batchnorm=true) match one
    device within float tolerance (Keras sums E[x] and E[x^2] over replicas, one device
    computes the variance directly). Per-replica statistics (sync_batchnorm=false) would
    normalise each half batch on its own: about 2% apart at the first step on this config."""
    one = mirrored_runs["default-bn"]["losses"]
    synced = mirrored_runs["mirrored-syncbn"]["losses"]
    assert len(one) == len(synced) == 3
    assert _max_rel(synced[0], one[0]) < 1e-5  # same weights, same data, same noise
    assert _max_rel(synced, one) < 3e-3


# -- MultiWorkerMirroredStrategy: two processes on loopback -----------------------------------

def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.mark.tf
def test_two_workers_on_loopback_stay_in_sync_and_only_the_chief_writes(tmp_path: Path) -> None:
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    args = ["run", "dcgan", "--steps", "3", "--batch-size", "16", "--seed", "5",
            "--strategy", "multi-worker", "--out", "run", "--set", "precision=float32",
            "--set", "grid_rows=2"]
    code = "import sys; from ganzoo.cli.app import main; main(sys.argv[1:])"
    procs: list[subprocess.Popen[str]] = []
    logs = []
    try:
        for index in range(2):
            temp = tmp_path / f"tmp{index}"
            temp.mkdir()
            tf_config = json.dumps({"cluster": cluster,
                                    "task": {"type": "worker", "index": index}})
            log = (tmp_path / f"worker{index}.log").open("w")
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, "-c", code, *args], cwd=tmp_path, stdout=log,
                stderr=subprocess.STDOUT, text=True,
                env=_env(TF_CONFIG=tf_config, TMPDIR=str(temp))))
        deadline = time.monotonic() + 150
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        for log in logs:
            log.close()
    out = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    for i, proc in enumerate(procs):
        assert proc.returncode == 0, out[i][-3000:]
    assert "this is worker 0 (chief)" in out[0] and "this is worker 1 (not chief)" in out[1]
    digests = [line for text in out for line in text.splitlines()
               if line.startswith("weights digest")]
    assert len(digests) == 2 and digests[0] == digests[1], digests
    assert digests[0].endswith("after 3 steps")
    # Only the chief wrote: one run folder, complete; the worker's temporary folder is gone.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "tmp0", "tmp1",
                                                          "worker0.log", "worker1.log"]
    assert list((tmp_path / "tmp1").iterdir()) == []
    run = tmp_path / "run"
    for name in ("config.json", "dcgan.weights.h5", "grid.png", "checkpoints/latest.json",
                 "summary.json"):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert json.loads((run / "config.json").read_text())["config"]["strategy"] == "multi-worker"
    assert "the chief wrote the run folder" in out[1] and "weights:" not in out[1]
