"""Copy a bench's leaderboard into docs/ZOO.md, so the published table is the one
`ganzoo bench` wrote and never a hand-edited copy.

The table goes between the markers ``<!-- leaderboard:NAME:begin -->`` and
``<!-- leaderboard:NAME:end -->``; the leaderboard's own title is dropped and its
"## Protocol" heading becomes bold text (ZOO.md owns the headings). Everything outside
the markers is left as it is.

Usage (from the repository root):

    python tools/zoo_leaderboard.py bench/fmnist [--name fmnist] [--doc docs/ZOO.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from ganzoo.artifacts.files import write_text  # noqa: E402  (atomic: ZOO.md is never half-written)
from ganzoo.errors import GanzooError  # noqa: E402


def body(leaderboard: str) -> str:
    """The leaderboard's Markdown without its title, its protocol heading made bold."""
    lines = leaderboard.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    lines = ["**Protocol**" if line.strip() == "## Protocol" else line for line in lines]
    return "\n".join(lines).strip() + "\n"


def splice(doc: str, name: str, table: str) -> str:
    """`doc` with the text between the `name` markers replaced by `table`."""
    begin, end = f"<!-- leaderboard:{name}:begin -->", f"<!-- leaderboard:{name}:end -->"
    if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
        raise ValueError(f"expected one {begin} followed by one {end}")
    head, rest = doc.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{table}{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path, help="bench folder holding leaderboard.md")
    parser.add_argument("--name", default="fmnist", help="marker name in the document")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "ZOO.md")
    args = parser.parse_args(argv)
    source = args.bench / "leaderboard.md"
    try:
        table = body(source.read_text(encoding="utf-8"))
        doc = args.doc.read_text(encoding="utf-8")
        write_text(args.doc, splice(doc, args.name, table))
    except (OSError, ValueError, GanzooError) as exc:
        print(f"zoo_leaderboard: {exc}", file=sys.stderr)
        return 2
    print(f"{args.doc}: leaderboard '{args.name}' from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
