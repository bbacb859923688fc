"""``ganzoo visualize`` on InfoGAN must draw what the trainer drew, from the run folder and
from its export. It fails today: the viewer builds its own context, which hands InfoGAN's
grid the code categories as labels and feeds interpolation latent_dim columns instead of
latent_dim + code columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img)


@pytest.mark.tf
def test_visualize_infogan_from_run_and_export_draws_what_training_drew(
        tmp_path: Path) -> None:
    from ganzoo.cli.app import cli

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)

    run = tmp_path / "run"
    result = invoke("run", "infogan", "--steps", "3", "--batch-size", "16", "--out", str(run),
                    "--set", "visualizers=grid,interpolation", "--set", "precision=float32",
                    "--set", "grid_rows=2", "--set", "interp_rows=2",
                    "--set", "interp_steps=3")
    assert result.exit_code == 0, result.output
    export = run / "infogan.weights.h5"
    for source in (run, export):
        for kind in ("interpolation", "grid"):
            out = tmp_path / f"{source.name}-{kind}.png"
            result = invoke("visualize", str(source), "--kind", kind, "--out", str(out))
            assert result.exit_code == 0, result.output
            # the same context, generator and inputs: the same pixels as the trainer's view
            assert np.array_equal(_pixels(out), _pixels(run / f"{kind}.png")), (source, kind)
