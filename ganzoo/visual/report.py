"""``ganzoo report``: a run as one self-contained HTML page, to share as a single file.

The page holds the run's configuration, the final sample grid, every plot and
animation the visualizers wrote and declared (their ``outputs``), the final metrics,
the summary and a list of the run's files with sizes and SHA-256 digests (so a reader
can check the weights they were sent). Images are embedded as base64 ``data:`` URIs and the
page carries a Content-Security-Policy that forbids loading anything else, so
it looks the same offline, in a mail attachment or years later.

Everything taken from the run (config values, names, metric names) is
HTML-escaped: a registry entry is user input.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path
from typing import Any

from ganzoo.artifacts.files import write_text
from ganzoo.errors import GanzooError
from ganzoo.zoo.components import Catalog

#: Captions of the built-in visualizers' pictures; others are captioned with their
#: visualizer's description. Which pictures the page shows, and in what order, comes from
#: the one list of run outputs (`ganzoo.artifacts.outputs`), not from here.
CAPTIONS: dict[str, str] = {
    "grid.png": "Final samples from the fixed noise batch",
    "compare.png": "Real training images beside generated ones",
    "progress.gif": "Training progress: the grid after each epoch",
    "losses.png": "Losses",
    "metrics.png": "Metrics over training",
    "histogram.png": "Pixel intensities, real against generated",
    "interpolation.png": "Spherical interpolation in noise space",
    "interpolation.gif": "Spherical interpolation, animated",
    "neighbours.png": "Nearest training images of generated samples (memorization check)",
}
_MIME = {".png": "image/png", ".gif": "image/gif"}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #1d1d1f; background: #fff; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem;
  margin-top: 2rem; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
td, th { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
pre { background: #f7f7f9; padding: 0.8rem; overflow-x: auto; }
figure { margin: 1rem 0 2rem 0; } figcaption { color: #444; margin-bottom: 0.4rem; }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
.cols { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _last_row(path: Path) -> dict[str, str]:
    """The last row of a CSV file (its final values), or {}."""
    import csv

    if not path.is_file():
        return {}
    last: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            last = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
    return last


def _table(rows: list[tuple[Any, ...]], header: tuple[str, ...], numeric: tuple[int, ...] = ()
           ) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value, unit = n / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_uri(path: Path) -> str:
    mime = _MIME[path.suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _pictures(run_dir: Path, catalog: Catalog) -> list[tuple[Path, str]]:
    """The PNG/GIF files at the top of the run folder that a visualizer declared, in the
    order of the run outputs (the grid first), with captions."""
    from ganzoo.artifacts import outputs

    pictures: dict[Path, str] = {}
    for output, paths in outputs.find(run_dir, catalog):
        if not output.visualizer:
            continue
        description = catalog.components["visualizer"][output.visualizer].description
        for path in paths:
            if path.parent == run_dir and path.suffix.lower() in _MIME and path.is_file():
                caption = CAPTIONS.get(path.name) or (
                    f"{output.visualizer}: {description}" if description else path.name)
                pictures.setdefault(path, caption)
    found = list(pictures.items())
    found.sort(key=lambda item: item[0].name != "grid.png")  # stable: the rest keep order
    return found


def _files(run_dir: Path, exclude: Path | None) -> list[Path]:
    """The run's files worth sharing: top-level files and checkpoints, no hidden files."""
    files = [p for p in sorted(run_dir.iterdir()) if p.is_file()]
    checkpoints = run_dir / "checkpoints"
    if checkpoints.is_dir():
        files += sorted(p for p in checkpoints.iterdir() if p.is_file())
    skip = exclude.resolve() if exclude else None
    return [p for p in files if not p.name.startswith(".") and p.resolve() != skip]


def build_html(run_dir: str | Path, exclude: Path | None = None,
               catalog: Catalog | None = None) -> str:
    """The report page of a run folder, as one string; `catalog` says which files the
    visualizers declared (default: the installed plugins')."""
    from ganzoo.artifacts import runs

    run_dir = Path(run_dir)
    run = runs.read_config(run_dir)
    if catalog is None:
        from ganzoo.zoo.host import load_catalog

        catalog = load_catalog()
    config: dict[str, Any] = run["config"]
    entry: dict[str, Any] = run.get("entry", {})
    data: dict[str, Any] = run.get("data", {})
    summary = _read_json(run_dir / "summary.json") or {}
    model = run["model"]

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'img-src data:; style-src \'unsafe-inline\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ganzoo run report: {_e(model)} ({_e(run_dir.name)})</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_e(model)} <small>{_e(run_dir.name)}</small></h1>",
        f'<p class="sub">{_e(entry.get("description", ""))}</p>',
        f'<p class="sub">data: {_e(data.get("name", "?"))} ({_e(data.get("images", "?"))} images, '
        f'{_e("x".join(str(s) for s in data.get("image_shape", [])))}, '
        f'{_e(data.get("num_classes", 0))} classes) &middot; plugin {_e(run.get("plugin", "?"))}'
        f' &middot; ganzoo {_e(run.get("ganzoo_version", "?"))}, Keras '
        f'{_e(run.get("keras_version", "?"))}, TensorFlow {_e(run.get("tensorflow_version", "?"))}'
        f' &middot; precision {_e(run.get("precision", "?"))}</p>',
    ]

    pictures = _pictures(run_dir, catalog)
    if pictures and pictures[0][0].name == "grid.png":
        path, caption = pictures.pop(0)
        parts.append(f"<h2>Samples</h2><figure><figcaption>{_e(caption)}</figcaption>"
                     f'<img alt="{_e(caption)}" src="{data_uri(path)}"></figure>')

    summary_rows = [(k, "-" if v is None else v) for k, v in summary.items()]
    final = _last_row(run_dir / "metrics.csv")
    evaluation = _last_row(run_dir / "eval.csv")
    metric_rows = [(k, v, "metrics.csv") for k, v in final.items()]
    metric_rows += [(k, v, "eval.csv") for k, v in evaluation.items()]
    parts.append('<h2>Results</h2><div class="cols">')
    if summary_rows:
        parts.append("<div><h3>Summary</h3>" + _table(summary_rows, ("", "value"), (1,))
                     + "</div>")
    if metric_rows:
        parts.append("<div><h3>Final metrics</h3>"
                     + _table(metric_rows, ("metric", "value", "from"), (1,)) + "</div>")
    if not summary_rows and not metric_rows:
        parts.append("<p>No summary or metrics yet: the run has not finished an epoch.</p>")
    parts.append("</div>")

    if pictures:
        parts.append("<h2>Plots</h2>")
        for path, caption in pictures:
            parts.append(f"<figure><figcaption>{_e(caption)}</figcaption>"
                         f'<img alt="{_e(caption)}" src="{data_uri(path)}"></figure>')

    parts.append("<h2>Configuration</h2>")
    parts.append(_table([(k, json.dumps(v) if not isinstance(v, str) else v)
                         for k, v in config.items()], ("key", "value")))
    papers = entry.get("papers") or []
    if papers:
        parts.append("<h3>Papers</h3><ul>")
        for p in papers:
            if not isinstance(p, dict):
                continue
            parts.append(f"<li>{_e(p.get('authors', ''))} ({_e(p.get('year', ''))}). "
                         f"<i>{_e(p.get('title', ''))}</i>. {_e(p.get('url', ''))}</li>")
        parts.append("</ul>")
    if run.get("command"):
        parts.append(f"<h3>Command</h3><pre>{_e(' '.join(map(str, run['command'])))}</pre>")

    files = _files(run_dir, exclude)
    parts.append("<h2>Files</h2>")
    parts.append(_table([(str(p.relative_to(run_dir)), _size(p.stat().st_size), sha256(p))
                         for p in files], ("file", "size", "sha256"), (1,)))
    parts.append("<details><summary>config.json</summary><pre>"
                 + _e(json.dumps(run, indent=2, default=str)) + "</pre></details>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(run_dir: str | Path, out: str | Path | None = None,
                 catalog: Catalog | None = None) -> Path:
    """Write the report (default RUN_DIR/report.html) atomically; returns its path."""
    run_dir = Path(run_dir)
    path = Path(out) if out is not None else run_dir / "report.html"
    if path.suffix.lower() not in (".html", ".htm"):
        raise GanzooError(f"--out {path}: a report is an HTML page; end the name in .html")
    write_text(path, build_html(run_dir, exclude=path, catalog=catalog))
    return path
