"""``stancemap-batch INPUT... --out DIR``: a corpus of articles into dyads and a stance graph per period.

Rerunning the same command after a crash or Ctrl-C continues where it stopped.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from pathlib import Path

from stancemap.bulk.aggregate import PERIODS, write_graph
from stancemap.bulk.engine import DEFAULT_PARTITION_SIZE, ENGINES, run_job
from stancemap.errors import StancemapError
from training.common import say


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    p = argparse.ArgumentParser(prog="stancemap-batch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                   help="article files, .jsonl, .csv or .parquet: id, text, and optional date, outlet, lang")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (a rerun continues it)")
    p.add_argument("--model", type=Path, default=Path("models"),
                   help="models folder or version folder (default: models)")
    p.add_argument("--period", choices=PERIODS, default="week", help="period of the stance graph (default: week)")
    p.add_argument("--jsonl", action="store_true", help="write JSONL beside every Parquet file")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: processes on this machine; dask: a Dask cluster (default: local)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes (local) or LocalCluster workers (dask without --scheduler); default: all cores")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --engine dask: the scheduler, tcp://host:8786")
    p.add_argument("--partition-size", type=int, default=DEFAULT_PARTITION_SIZE, metavar="N",
                   help=f"articles per partition, the unit of resumption (default: {DEFAULT_PARTITION_SIZE})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command."""
    args = parser().parse_args(argv)
    if args.scheduler and args.engine != "dask":
        parser().error("--scheduler needs --engine dask")
    if args.workers is not None and args.workers < 1:
        parser().error("--workers must be at least 1")
    try:
        summary = run_job(args.inputs, args.out, args.model, engine=args.engine, workers=args.workers,
                          scheduler=args.scheduler, partition_size=args.partition_size, jsonl=args.jsonl,
                          progress=not args.quiet, say=say)
        graph = write_graph(args.out, args.period, args.jsonl)
    except StancemapError as exc:
        say(f"error: {exc.message}")
        return 2
    except KeyboardInterrupt:
        say(f"interrupted: finished partitions are kept in {args.out}; rerun the same command to continue")
        return 130
    s = asdict(summary)
    rss = ", ".join(f"{k} {v:,.0f} MB" for k, v in s["peak_rss_mb"].items())
    print(f"{s['articles']:,} articles ({s['articles_resumed']:,} from an earlier run, {s['articles_analysed']:,} "
          f"analysed now), {s['rejects']:,} rejected, {s['dyads']:,} dyads in {s['partitions']:,} partitions\n"
          f"{s['seconds']:.1f} s, {s['articles_per_s']:,.1f} articles/s, {s['dyads_per_s']:,.1f} dyads/s, "
          f"{s['engine']} engine, {s['workers']} worker(s); peak RSS {rss}\n"
          f"stance graph by {args.period}: {graph.num_rows:,} rows in "
          f"{os.path.join(args.out, f'graph-{args.period}.parquet')}", flush=True)
    if s["rejects"]:
        say(f"{s['rejects']} rejected record(s) are listed in {args.out / 'rejects.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
