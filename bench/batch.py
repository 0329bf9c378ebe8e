"""Bulk analysis benchmark: articles/s, dyads/s and peak memory of stancemap-batch, local and on Dask.

Usage: python bench/batch.py [--articles 100000] [--configs local1,local2,dask2] [--model models] [--json out.json]

Builds a synthetic corpus of articles made of our own corpus's sentences (three to five each, dated over 2026,
from five outlets), then runs the real command, each configuration in its own process and output folder:
``local1`` (the engine in one process), ``local2`` (a pool of two processes), ``dask2`` (a Dask LocalCluster of
two single-threaded worker processes on 127.0.0.1). Rates count the whole job, model loading and worker start-up
included; the period graph is timed apart. The Dask overhead is local2's rate over dask2's on the same cores.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {"local1": ["--workers", "1"], "local2": ["--workers", "2"], "dask2": ["--engine", "dask", "--workers", "2"]}


def build_corpus(path: Path, articles: int, seed: int = 0) -> None:
    """Write ``articles`` synthetic articles of three to five corpus sentences each, as JSONL."""
    texts = sorted({json.loads(line)["text"] for file in sorted((ROOT / "data" / "corpus").glob("*.jsonl"))
                    for line in file.read_text(encoding="utf-8").splitlines()})
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(articles):
            day = rng.randrange(365)
            handle.write(json.dumps({
                "id": f"bench-{i:08d}", "text": " ".join(rng.sample(texts, rng.randint(3, 5))),
                "date": time.strftime("%Y-%m-%d", time.gmtime(1767225600 + day * 86400)),  # 2026-01-01 + day
                "outlet": f"outlet-{rng.randrange(5)}"}, ensure_ascii=False) + "\n")


def run(config: str, corpus: Path, out: Path, model: Path, partition_size: int) -> dict:
    """Run stancemap-batch once in a fresh output folder; return its summary and the command's wall time."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "training.batch", str(corpus), "--out", str(out), "--model", str(model),
               "--partition-size", str(partition_size), "--quiet", *CONFIGS[config]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads((out / "summary.json").read_text())
    summary["wall_seconds"] = round(wall, 1)
    # CPU time of the command and every process it waited for (pool workers, Dask nannies and workers): unlike
    # rates, it barely moves when other jobs share the cores, so it is the figure to extrapolate from.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary["cpu_seconds"] = round(cpu, 1)
    summary["articles_per_cpu_s"] = round(summary["articles"] / cpu, 1)
    summary["graph_seconds"] = round(wall - summary["seconds"], 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, among {', '.join(CONFIGS)}")
    parser.add_argument("--model", type=Path, default=ROOT / "models")
    parser.add_argument("--partition-size", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus and outputs go (default: a "
                        "temporary folder, removed at the end)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configs = args.configs.split(",")
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="stancemap-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        corpus = workdir / f"articles-{args.articles}.jsonl"
        if not corpus.is_file():
            build_corpus(corpus, args.articles)
        results = {}
        for config in configs:
            results[config] = run(config, corpus, workdir / f"out-{config}", args.model, args.partition_size)
            print(f"{config}: {results[config]['articles_per_s']} articles/s", file=sys.stderr, flush=True)
        outputs = [sorted((workdir / f"out-{c}" / "dyads").glob("part-*")) for c in configs]
        identical = all([p.read_bytes() for p in files] == [p.read_bytes() for p in outputs[0]] for files in outputs)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    first = results[configs[0]]
    print(f"\n{args.articles:,} articles, {first['dyads']:,} dyads, partitions of {args.partition_size}; "
          f"dyad files identical across configurations: {identical}\n")
    print("| configuration | processes | seconds | articles/s | dyads/s | CPU s | articles/CPU s | peak RSS (MB) |"
          " graph (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for config, r in results.items():
        rss = ", ".join(f"{k} {v:,.0f}" for k, v in r["peak_rss_mb"].items())
        print(f"| {config} | {r['workers']} | {r['seconds']:,.1f} | {r['articles_per_s']:,.1f} | "
              f"{r['dyads_per_s']:,.0f} | {r['cpu_seconds']:,.1f} | {r['articles_per_cpu_s']:,.1f} | {rss} | "
              f"{r['graph_seconds']:.1f} |")
    if "local2" in results and "dask2" in results:
        rate = results["local2"]["articles_per_s"] / results["dask2"]["articles_per_s"]
        cpu = results["dask2"]["cpu_seconds"] / results["local2"]["cpu_seconds"]
        print(f"\nDask overhead on the same 2 cores: local2 / dask2 rate = {rate:.2f}; "
              f"dask2 / local2 CPU time = {cpu:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"articles": args.articles, "partition_size": args.partition_size,
                                         "identical": identical, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
