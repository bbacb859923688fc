"""``ganzoo bench``: train models x seeds, score each run, and build the leaderboard.

Each (model, seed) job is a plain ``ganzoo run`` into ``BENCH_DIR/runs/MODEL-sS`` then a
``ganzoo eval`` of that folder, each in its own process (isolation, ``--jobs``
parallelism, and the CLI's own resume and error handling). `state` keeps
``bench.json`` (what each job did), `jobs` schedules and runs them, `table` and
`figure` turn the results into ``leaderboard.md``/``.html`` and ``samples.png``.
Nothing here imports TensorFlow: the children do.
"""

from __future__ import annotations

from ganzoo.bench.jobs import BenchResult, check_models, run_bench
from ganzoo.bench.state import Options
from ganzoo.bench.table import rewrite

__all__ = ["BenchResult", "Options", "check_models", "rewrite", "run_bench"]
