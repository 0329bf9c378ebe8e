"""``stancemap-timeline DIR --pair SRC TGT``: one ordered pair's stance over time, as a table and a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

from stancemap.bulk.aggregate import PERIODS
from stancemap.bulk.timeline import load_graph, pair_rows, plot, table_text
from stancemap.errors import StancemapError
from stancemap.gazetteer import Gazetteer
from training.common import say


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    p = argparse.ArgumentParser(prog="stancemap-timeline", description=__doc__)
    p.add_argument("out", type=Path, metavar="DIR", help="a stancemap-batch output folder")
    p.add_argument("--pair", nargs=2, required=True, metavar=("SRC", "TGT"),
                   help="the ordered pair: actor ids or names the gazetteer knows (RUS, Russia, Kremlin)")
    p.add_argument("--period", choices=PERIODS, default="week", help="period (default: week)")
    p.add_argument("--png", type=Path, default=None,
                   help="where to draw the picture (default: DIR/timeline-SRC-TGT-PERIOD.png)")
    return p


def actor_id(name: str, gazetteer: Gazetteer) -> str:
    """Return the actor id a name stands for, or the name itself if the gazetteer does not know it."""
    return gazetteer.lookup(name) or name


def main(argv: list[str] | None = None) -> int:
    """Run the command."""
    args = parser().parse_args(argv)
    try:
        gazetteer = Gazetteer.load()
        source, target = (actor_id(name, gazetteer) for name in args.pair)
        graph = load_graph(args.out, args.period)
        rows = pair_rows(graph, source, target)
        if not rows:
            raise StancemapError(f"no dated dyad of {source} toward {target} in {args.out}")
        png = args.png or args.out / f"timeline-{source}-{target}-{args.period}.png"
        plot(rows, source, target, args.period, png)
    except StancemapError as exc:
        say(f"error: {exc.message}")
        return 2
    print(table_text(rows, source, target, args.period), flush=True)
    say(f"picture written to {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
