"""Samples stream: ``ganzoo sample --out x.npy`` writes block by block, ``ganzoo eval`` reads
only the first N rows of an array, and every array it cannot score is a one-line error.

A numpy "generator" stands in for a Keras model, so nothing here imports TensorFlow;
memory is measured in fresh interpreters (peak resident set size).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.artifacts import sampling
from ganzoo.artifacts.export import ExportMeta
from ganzoo.cli.app import cli
from ganzoo.errors import GanzooError

ROOT = Path(__file__).resolve().parents[1]


class ImageGenerator:
    """(n, d) inputs -> (n, 28, 28, 1) in [-1, 1]; counts the rows it was asked for."""

    def __init__(self) -> None:
        self.rows = 0

    def __call__(self, inputs: Any, training: bool = False) -> np.ndarray:
        z = inputs[0] if isinstance(inputs, list) else inputs
        self.rows += len(z)
        rows = np.tile(z, (1, -(-784 // z.shape[1])))[:, :784]  # row i depends on z[i] only
        return np.tanh(rows).reshape(len(z), 28, 28, 1)


def fake_loaded(config: dict | None = None, num_classes: int = 0) -> sampling.Loaded:
    config = config or {"latent_dim": 8}
    meta = ExportMeta("fake", {}, config, (28, 28, 1), num_classes, data={"name": "fake"})
    return sampling.Loaded(ImageGenerator(), None, meta, Path("fake.weights.h5"))


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


def one_line_error(result: Any, *parts: str) -> str:
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith("error: ") and "\n" not in line, line
    for part in parts:
        assert part in line, line
    return line


def peak_mb(code: str) -> dict:
    """Run `code` in a fresh interpreter; it prints a JSON dict, to which the peak RSS
    (MB) before and after the measured part is added by the code itself."""
    prelude = textwrap.dedent("""
        import json, resource, sys
        def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    """)
    out = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_npy_written_in_blocks_is_the_file_numpy_saves(tmp_path: Path) -> None:
    data = np.random.default_rng(0).random((1234, 3, 2), dtype=np.float32)
    sampling.write_npy(tmp_path / "a.npy", (data[i:i + 500] for i in range(0, 1234, 500)),
                       data.shape)
    np.save(tmp_path / "b.npy", data)
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()


def test_a_failure_part_way_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "x.npy"
    out.write_bytes(b"old")

    def blocks() -> Any:
        yield np.zeros((10, 2), np.float32)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sampling.write_npy(out, blocks(), (20, 2))
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]
    with pytest.raises(ValueError, match="10 samples made, 20 expected"):
        sampling.write_npy(out, [np.zeros((10, 2), np.float32)], (20, 2))
    assert out.read_bytes() == b"old"


def test_written_samples_are_the_samples_of_sample(tmp_path: Path) -> None:
    config = {"latent_dim": 6, "code_categorical": 3, "code_continuous": 2}
    loaded = fake_loaded(config)
    path = sampling.write(loaded, tmp_path / "s.npy", 1203, seed=5, label=2)
    stored = np.load(path)
    assert stored.dtype == np.float32 and stored.shape == (1203, 28, 28, 1)
    assert np.array_equal(stored, sampling.sample(loaded, 1203, seed=5, label=2))
    blocks = list(sampling.stream(loaded, 1203, seed=5, label=2, batch=100))
    assert max(len(b) for b in blocks) == 100
    assert np.array_equal(np.concatenate(blocks), stored)  # the batch changes nothing


def test_conditional_labels_cycle_or_stay_fixed_in_blocks() -> None:
    loaded = fake_loaded({"latent_dim": 4, "conditional": True}, num_classes=3)
    seen: list[np.ndarray] = []

    def gen(inputs: Any, training: bool = False) -> np.ndarray:
        z, labels = inputs
        seen.append(labels)
        return np.zeros((len(z), 28, 28, 1), np.float32)

    loaded.generator = gen
    list(sampling.stream(loaded, 7, batch=3))
    assert np.concatenate(seen).tolist() == [0, 1, 2, 0, 1, 2, 0]
    seen.clear()
    list(sampling.stream(loaded, 4, label=1, batch=3))
    assert np.concatenate(seen).tolist() == [1, 1, 1, 1]
    with pytest.raises(GanzooError, match=r"choose a class in 0\.\.2"):
        sampling.stream(loaded, 4, label=3)  # refused before anything is made


def test_a_huge_png_grid_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    loaded = fake_loaded()
    most = sampling.max_grid_samples((28, 28, 1))
    assert 4000 < most < 5000
    with pytest.raises(GanzooError) as caught:
        sampling.write(loaded, tmp_path / "g.png", most + 1)
    message = str(caught.value)
    assert f"at most {most} 28x28 images" in message and "--out FILE.npy" in message
    assert loaded.generator.rows == 0 and not (tmp_path / "g.png").exists()
    assert sampling.write(loaded, tmp_path / "g.png", 30).is_file()


def test_sampling_to_npy_keeps_memory_bounded_whatever_n(tmp_path: Path) -> None:
    """100,000 28x28 samples: 299 MiB of output, written with a few MB of memory."""
    found = peak_mb(f"""
        from pathlib import Path
        import numpy as np
        sys.path.insert(0, "tests")
        from test_streaming import fake_loaded
        from ganzoo.artifacts import sampling
        loaded = fake_loaded()
        list(sampling.stream(loaded, 1000))  # warm up: imports, first blocks
        before = rss()
        sampling.write(loaded, Path({str(tmp_path / 'big.npy')!r}), 100_000)
        print(json.dumps({{"before": before, "after": rss()}}))
    """)
    size_mb = (tmp_path / "big.npy").stat().st_size / 2**20
    assert size_mb > 290
    assert found["after"] - found["before"] < 60, (found, size_mb)
    head = np.load(tmp_path / "big.npy", mmap_mode="r")[:500]
    assert np.array_equal(head, sampling.sample(fake_loaded(), 500))


def test_eval_reads_only_the_first_rows_of_a_big_npy(tmp_path: Path) -> None:
    path = tmp_path / "big.npy"
    rows = np.random.default_rng(0).random((500, 28, 28, 1), dtype=np.float32)
    sampling.write_npy(path, (rows for _ in range(200)), (100_000, 28, 28, 1))  # 299 MiB
    found = peak_mb(f"""
        from pathlib import Path
        from ganzoo.evaluation.samples import array_samples
        before = rss()
        s = array_samples(Path({str(path)!r}), 1000)
        print(json.dumps({{"before": before, "after": rss(), "shape": s.data.shape,
                           "dtype": str(s.data.dtype), "first": int(s.data[0, 0, 0, 0])}}))
    """)
    assert found["shape"] == [1000, 28, 28, 1] and found["dtype"] == "uint8"
    assert found["first"] == int(np.rint(rows[0, 0, 0, 0] * 255))
    assert found["after"] - found["before"] < 60, found


# ---------------------------------------------------------------------------
# ganzoo eval: arrays it cannot score are one-line errors (exit 2), before TensorFlow


def test_eval_of_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.npy").write_bytes(b"")
    one_line_error(invoke("eval", str(tmp_path / "e.npy")), "empty file (0 bytes)")


def test_eval_of_a_truncated_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "t.npy", np.zeros((100, 28, 28, 1), np.float32))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:len(data) // 2])
    one_line_error(invoke("eval", str(tmp_path / "t.npy"), "--n", "10"), "truncated",
                   "(100, 28, 28, 1)", "write it again")
    (tmp_path / "h.npy").write_bytes(data[:20])  # the header itself cut short
    one_line_error(invoke("eval", str(tmp_path / "h.npy")), "not a readable .npy array")


def test_eval_of_flattened_images(tmp_path: Path) -> None:
    np.save(tmp_path / "flat.npy", np.zeros((50, 784), np.uint8))
    one_line_error(invoke("eval", str(tmp_path / "flat.npy")), "(50, 784)",
                   "--dataset ring8|grid25", "(N, H, W)", "reshape them to (N, 28, 28)")
    one_line_error(invoke("eval", str(tmp_path / "flat.npy"), "--dataset", "ring8"),
                   "ring8 points are 2-d, these are 784-d")


def test_eval_of_points_without_a_dataset(tmp_path: Path) -> None:
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(100, 2)))
    one_line_error(invoke("eval", str(tmp_path / "pts.npy")), "2-d points",
                   "--dataset ring8|grid25")


def test_eval_of_points_no_metric_scores(tmp_path: Path) -> None:
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(100, 2)))
    one_line_error(invoke("eval", str(tmp_path / "pts.npy"), "--dataset", "somewhere"),
                   "no installed metric scores 2-d points against 'somewhere'")


@pytest.mark.parametrize(("array", "message"), [
    (np.zeros(100, np.float32), "an array of shape (100,)"),
    (np.zeros((10, 2, 2, 2, 2), np.uint8), "an array of shape (10, 2, 2, 2, 2)"),
    (np.zeros((0, 28, 28), np.uint8), "holds no samples"),
    (np.array([["a"] * 3] * 20), "expected numbers"),
])
def test_eval_of_arrays_of_other_shapes(tmp_path: Path, array: np.ndarray, message: str) -> None:
    np.save(tmp_path / "x.npy", array)
    one_line_error(invoke("eval", str(tmp_path / "x.npy")), message)


def test_eval_of_pickled_objects(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([{"a": 1}] * 20, dtype=object), allow_pickle=True)
    one_line_error(invoke("eval", str(tmp_path / "o.npy")), "Python objects")


def test_good_arrays_are_read_as_before(tmp_path: Path) -> None:
    from ganzoo.evaluation.samples import array_samples

    grey = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    np.save(tmp_path / "grey.npy", grey)
    got = array_samples(tmp_path / "grey.npy", 20).data
    assert got.shape == (20, 28, 28, 1) and np.array_equal(got[..., 0], grey[:20])
    np.save(tmp_path / "f.npy", grey.astype(np.float32) / 255.0)
    assert np.array_equal(array_samples(tmp_path / "f.npy", 20).data, got)
    np.save(tmp_path / "p.npy", np.ones((30, 2), np.float32))
    points = array_samples(tmp_path / "p.npy", 50).data
    assert points.shape == (30, 2) and points.dtype == np.float64
