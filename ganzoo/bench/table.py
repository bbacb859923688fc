"""The leaderboard: per-model means ± sd over seeds, ratios to a reference, the protocol.

`rows` does the arithmetic on plain job results (so it is tested on hand-made
figures), `protocol` gathers what a reader needs to reproduce or compare the numbers,
and `markdown`/`html_page` render both. Model names and every string from a run are
escaped: registry entries are user input.
"""

from __future__ import annotations

import base64
import html
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganzoo.artifacts.files import write_text
from ganzoo.artifacts.runs import locked
from ganzoo.bench.state import (
    SPANNED,
    STATE_FILE,
    BenchState,
    Job,
    Options,
    job_id,
    now,
    read_json,
)
from ganzoo.errors import GanzooError

#: (key, header, decimals); the figures averaged over seeds, in column order
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("frechet_distance", "Fréchet ↓", 1),
    ("kid", "KID ↓", 3),
    ("precision", "precision ↑", 2),
    ("recall", "recall ↑", 2),
    ("wall_seconds", "wall time (s)", 0),
    ("images_per_sec", "images/s", 0),
)
DEFAULT_REFERENCE = "dcgan"


def default_reference(models: Sequence[str], reference: str | None) -> str | None:
    """`reference`, else dcgan when it is benched."""
    return reference if reference is not None or DEFAULT_REFERENCE not in models else (
        DEFAULT_REFERENCE)


def mean_sd(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (n - 1) of the finite values; sd is None below
    two values, and both are None without any."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return None, None
    return math.fsum(vals) / len(vals), statistics.stdev(vals) if len(vals) > 1 else None


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return value / base


def rows(results: dict[str, list[dict[str, Any]]], reference: str | None = None,
         timing: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """One row per model from its scored jobs' results (`Job.results()`), in the given order.

    Each figure becomes (mean, sd); `fd_ratio` divides the model's mean Fréchet distance by
    the reference model's over the same seeds (those both have scored; any, where they
    share none), so that a row with fewer seeds so far is not divided by a mean over other
    seeds. `time_ratio` is the mean over seeds of the model's wall time
    divided by the reference's for the same seed trained on the same machine (the
    reference's job, or a timing run of it in `timing`): docs/ZOO.md measured the same
    kind of 2-core CPU at two speeds in two sessions. A job resumed on another machine
    has no pair. Results that do not say their machine (hand-made) pair by seed, and
    without any pair the ratio is that of the mean wall times; results that say it and
    have no pair get none.
    """
    out = []
    for model, jobs in results.items():
        row: dict[str, Any] = {"model": model, "scored": len(jobs)}
        for key, _, _ in COLUMNS:
            row[key] = mean_sd([job.get(key) for job in jobs])
        out.append(row)
    ref = next((r for r in out if r["model"] == reference), None)
    ref_walls = {(job.get("seed"), job.get("machine")): job.get("wall_seconds")
                 for job in [*(results.get(reference, []) if reference else []), *timing]
                 if job.get("machine") != SPANNED}
    ref_fds = {job.get("seed"): job.get("frechet_distance")
               for job in (results.get(reference, []) if reference else [])
               if job.get("seed") is not None and job.get("frechet_distance") is not None}
    for row in out:
        fds = {job.get("seed"): job.get("frechet_distance") for job in results[row["model"]]
               if job.get("frechet_distance") is not None}
        common = [seed for seed in fds if seed in ref_fds]
        if common:  # a table being filled compares like with like: the same seeds
            row["fd_ratio"] = ratio(math.fsum(fds[s] for s in common),
                                    math.fsum(ref_fds[s] for s in common))
        else:
            row["fd_ratio"] = ratio(row["frechet_distance"][0],
                                    ref["frechet_distance"][0] if ref else None)
        jobs = results[row["model"]]
        paired = [ratio(job.get("wall_seconds"),
                        ref_walls.get((job.get("seed"), job.get("machine"))))
                  for job in jobs
                  if job.get("seed") is not None and job.get("machine") != SPANNED]
        paired = [p for p in paired if p is not None]
        if paired:
            row["time_ratio"] = math.fsum(paired) / len(paired)
        elif any(job.get("machine") is not None for job in jobs):
            row["time_ratio"] = None
        else:
            row["time_ratio"] = ratio(row["wall_seconds"][0],
                                      ref["wall_seconds"][0] if ref else None)
    return out


def fmt(pair: tuple[float | None, float | None], decimals: int) -> str:
    mean, sd = pair
    if mean is None:
        return "–"
    return f"{mean:.{decimals}f}" + (f" ± {sd:.{decimals}f}" if sd is not None else "")


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def collect(state: BenchState, models: Sequence[str], seeds: Sequence[int]
            ) -> tuple[dict[str, list[dict[str, Any]]], list[Job]]:
    """Scored results per model (in `models` order) and the jobs that are not scored."""
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in models}
    missing = []
    for model in models:
        for seed in seeds:
            job = state.jobs.get(job_id(model, seed))
            if job is not None and job.state == "done" and job.eval:
                results[model].append(job.results(state.sessions))
            else:
                missing.append(job or Job(model, seed))
    return results, missing


def timing_jobs(state: BenchState, reference: str | None, seeds: Sequence[int]
                ) -> list[Job]:
    """The reference's finished timing runs of these seeds: what the time ratios pair
    with and the protocol lists."""
    return [job for job in state.jobs.values()
            if job.session is not None and job.model == reference and job.seed in seeds
            and job.state == "done" and job.train]


def _distinct(values: Sequence[Any]) -> str:
    seen = [v for i, v in enumerate(values) if v is not None and v not in values[:i]]
    return ", ".join(map(str, seen)) if seen else "unknown"


def _machine_text(record: dict[str, Any]) -> str:
    """A session's machine as the protocol names it (`ganzoo.bench.machine.machine`)."""
    unit = f" with {record['vector_unit']}" if record.get("vector_unit") else ""
    return f"{record.get('processor')}{unit}, {record.get('cpus')} CPUs ({record.get('system')})"


def protocol(state: BenchState, models: Sequence[str], seeds: Sequence[int],
             timing: Sequence[Job] = ()) -> list[tuple[str, str]]:
    """(label, text) lines of the protocol: what was trained, scored, on what machine;
    `timing` are the timing runs used (`timing_jobs`)."""
    from ganzoo.version import __version__

    opts = state.options
    jobs = [state.jobs[job_id(m, s)] for s in seeds for m in models
            if job_id(m, s) in state.jobs]
    configs = [read_json(state.bench_dir / "runs" / job.id / "config.json") or {}
               for job in jobs]
    scored = [job.eval.get("protocol", {}) for job in jobs if job.eval]
    budget = (f"{opts['steps']} generator steps" if opts.get("steps") else
              f"{opts['epochs']} epochs" if opts.get("epochs") else "each model's default")
    steps = [f"{c['model']} {c['total_steps']}" for c in configs if "total_steps" in c]
    extractor = _distinct([
        f"{p['feature_extractor'].get('name')} v{p['feature_extractor'].get('version')} "
        f"(sha256 {p['feature_extractor'].get('sha256')})"
        for p in scored if isinstance(p.get("feature_extractor"), dict)])
    references = _distinct([
        f"{p['reference'].get('dataset')} {p['reference'].get('split')} split, "
        f"{p['reference'].get('n')} images"
        for p in scored if isinstance(p.get("reference"), dict)])
    machines = _distinct([_machine_text(s["machine"]) for s in state.sessions
                          if s.get("machine")])
    parallel = _distinct([a.get("jobs") for job in jobs for a in job.attempts])
    threads = _distinct([s["threads"].get("TF_NUM_INTRAOP_THREADS")
                         for s in state.sessions
                         if isinstance(s.get("threads"), dict) and s.get("jobs", 1) > 1])
    started = [a["started"] for job in jobs for a in job.attempts if a.get("started")]
    lines = [
        ("data set", opts.get("dataset") or _distinct([(c.get("data") or {}).get("name")
                                                       for c in configs])),
        ("budget", budget + (f" ({'; '.join(_dedupe(steps))} generator steps)"
                             if steps and not opts.get("steps") else "")),
        ("seeds", " ".join(map(str, seeds))),
        ("overrides", " ".join(f"--set {a}" for a in opts.get("set", [])) or "none"),
        ("precision", _distinct([c.get("precision") for c in configs])
         + (f" (--precision {opts['precision']})" if opts.get("precision") else "")),
        ("samples scored", f"{opts.get('n')} per run, eval seed {opts.get('eval_seed')}"),
        ("feature extractor", extractor),
        ("reference", references),
        ("machine", machines),
        ("versions", f"ganzoo {__version__}; TensorFlow "
         f"{_distinct([c.get('tensorflow_version') for c in configs])}; Keras "
         f"{_distinct([c.get('keras_version') for c in configs])}"),
        ("parallel jobs", parallel + ("" if parallel in ("1", "unknown") else
                                      " (wall times of parallel jobs are not comparable)"
                                      + (f"; TF_NUM_INTRAOP_THREADS {threads} in each"
                                         if threads != "unknown" else ""))),
        ("date", (f"jobs from {min(started)} to {max(started)}; " if started else "")
         + f"table written {now()}"),
    ]
    if timing:
        lines.append(("timing runs", "; ".join(
            f"{job.model} seed {job.seed} trained again in session {job.session + 1} of "
            f"{len(state.sessions)}" for job in timing)
            + " (their wall times pair with the jobs of that seed trained in that session; "
            "their other figures are not in the table)"))
    commands = [s["command"] for s in state.sessions if s.get("command")]
    if commands:
        lines.append(("command", commands[-1]))
    return lines


def _dedupe(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md_escape(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, no markup, no raw HTML."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def _notes(missing: Sequence[Job]) -> list[tuple[str, str, str]]:
    """(model, "seed S" or "seeds S, T", why) per model and reason, in the jobs' order."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for job in missing:
        why = {"diverged": f"diverged ({job.error})", "failed": f"failed ({job.error})",
               "interrupted": "interrupted (rerun the command to finish it)",
               "running": "interrupted (rerun the command to finish it)"}.get(
                   job.state, "not run yet")
        grouped.setdefault((job.model, why), []).append(job.seed)
    return [(model, ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, seeds)),
             why) for (model, why), seeds in grouped.items()]


def time_note(reference: str | None) -> str:
    return (f"time / {reference} averages each run's wall time over {reference}'s of the "
            "same seed trained on the same machine.")


UNPAIRED = ("time / {reference} is – where no run of the model has a {reference} run of its "
            "seed trained on the same machine (a run resumed on another machine has none).")


def unpaired(table: list[dict[str, Any]]) -> bool:
    return any(row["scored"] and row["time_ratio"] is None for row in table)


def headers(with_ratio: bool, reference: str | None) -> list[str]:
    head = ["model", "seeds", *(h for _, h, _ in COLUMNS)]
    if with_ratio:
        head += [f"FD / {reference}", f"time / {reference}"]
    return head


def cells(row: dict[str, Any], total: int, with_ratio: bool) -> list[str]:
    out = [str(row["model"]), f"{row['scored']}/{total}",
           *(fmt(row[key], dec) for key, _, dec in COLUMNS)]
    if with_ratio:
        out += [fmt_ratio(row["fd_ratio"]), fmt_ratio(row["time_ratio"])]
    return out


def markdown(table: list[dict[str, Any]], seeds: Sequence[int], reference: str | None,
             proto: list[tuple[str, str]], missing: Sequence[Job]) -> str:
    with_ratio = reference is not None
    head = headers(with_ratio, reference)
    lines = ["# Leaderboard", "",
             f"Mean ± standard deviation over seeds {', '.join(map(str, seeds))}; "
             "↓ lower is better, ↑ higher is better. Wall time is training plus scoring."
             + (" " + md_escape(time_note(reference)) if with_ratio else ""), "",
             "| " + " | ".join(md_escape(h) for h in head) + " |",
             "|" + "---|" * len(head)]
    for row in table:
        lines.append("| " + " | ".join(md_escape(c) for c in cells(row, len(seeds), with_ratio))
                     + " |")
    if with_ratio and unpaired(table):
        lines += ["", md_escape(UNPAIRED.format(reference=reference))]
    notes = _notes(missing)
    if notes:
        lines += ["", "Not in the means:", ""]
        lines += [f"- {md_escape(m)} {s}: {md_escape(why)}" for m, s, why in notes]
    lines += ["", "## Protocol", ""]
    lines += [f"- **{label}**: {md_escape(text)}" for label, text in proto]
    return "\n".join(lines) + "\n"


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1d1d1f; background: #fff; }
table { border-collapse: collapse; font-size: 0.9rem; }
td, th { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f4f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
dt { font-weight: 600; } dd { margin: 0 0 0.4rem 1rem; }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
"""


def html_page(table: list[dict[str, Any]], seeds: Sequence[int], reference: str | None,
              proto: list[tuple[str, str]], missing: Sequence[Job],
              figure: Path | None = None) -> str:
    """One self-contained page: inline style, the sample figure as a data: URI, and a
    Content-Security-Policy that forbids fetching anything."""
    e = html.escape
    with_ratio = reference is not None
    head = "".join(f"<th>{e(h)}</th>" for h in headers(with_ratio, reference))
    body = "".join(
        "<tr>" + "".join(f"<td{'' if i == 0 else ' class=num'}>{e(c)}</td>"
                         for i, c in enumerate(cells(row, len(seeds), with_ratio))) + "</tr>"
        for row in table)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>ganzoo leaderboard</title><style>{_STYLE}</style></head><body>",
        "<h1>Leaderboard</h1>",
        f"<p>Mean ± standard deviation over seeds {e(', '.join(map(str, seeds)))}; ↓ lower is "
        "better, ↑ higher is better. Wall time is training plus scoring."
        f"{' ' + e(time_note(reference)) if with_ratio else ''}</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
    ]
    if with_ratio and unpaired(table):
        parts.append(f"<p>{e(UNPAIRED.format(reference=reference))}</p>")
    notes = _notes(missing)
    if notes:
        parts.append("<p>Not in the means:</p><ul>" + "".join(
            f"<li>{e(m)} {e(s)}: {e(why)}</li>" for m, s, why in notes) + "</ul>")
    parts.append("<h2>Protocol</h2><dl>" + "".join(
        f"<dt>{e(label)}</dt><dd>{e(text)}</dd>" for label, text in proto) + "</dl>")
    if figure is not None and figure.is_file():
        data = base64.b64encode(figure.read_bytes()).decode("ascii")
        parts.append(f"<h2>Samples (seed {e(str(seeds[0]))})</h2>"
                     f"<img alt=\"sample grids\" src=\"data:image/png;base64,{data}\">")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_outputs(state: BenchState, models: Sequence[str], seeds: Sequence[int],
                  reference: str | None) -> list[Path]:
    """leaderboard.md, leaderboard.html and samples.png in the bench folder."""
    from ganzoo.bench.figure import write_samples

    reference = default_reference(models, reference)
    results, missing = collect(state, models, seeds)
    timing = timing_jobs(state, reference, seeds)
    table = rows(results, reference, [job.results(state.sessions) for job in timing])
    proto = protocol(state, models, seeds, timing)
    bench = state.bench_dir
    outputs = []
    # the grid of an unfinished run is not a model's result: only scored runs are shown
    scored = {m for m, done in results.items() if any(r.get("seed") == seeds[0] for r in done)}
    figure = write_samples(bench / "samples.png",
                           [(m, bench / "runs" / job_id(m, seeds[0]) / "grid.png")
                            for m in models if m in scored])
    write_text(bench / "leaderboard.md", markdown(table, seeds, reference, proto, missing))
    outputs.append(bench / "leaderboard.md")
    write_text(bench / "leaderboard.html",
               html_page(table, seeds, reference, proto, missing, figure))
    outputs.append(bench / "leaderboard.html")
    if figure is not None:
        outputs.append(figure)
    return outputs


def rewrite(bench_dir: str | Path, models: Sequence[str], seeds: Sequence[int],
            options: Options, reference: str | None) -> list[Path]:
    """The leaderboard again from what is scored in `bench_dir`, with nothing run and
    ``bench.json`` untouched: after an upgrade changed the table, or for a subset of
    models or seeds. Refused while a bench runs in the folder (it writes them itself)."""
    bench_dir = Path(bench_dir).resolve()
    if not (bench_dir / STATE_FILE).is_file():
        raise GanzooError(f"{bench_dir}: no {STATE_FILE} there; run the bench without "
                          "--table-only first")
    with locked(bench_dir):
        return write_outputs(BenchState.open(bench_dir, options), models, seeds, reference)
