"""In-process inference benchmark: the scikit-learn pipelines against the compiled fast path, side by side.

Usage: python bench/inference.py [--model models] [--rounds 5] [--single 400] [--json out.json]

Both paths score stance and sentiment for the same statements from the bundled corpus. The reference is
``predict_proba`` of both fitted pipelines; the fast path is ``StanceModel.predict``, which also resolves the actors
and computes the evidence (work the reference does not do). Rounds alternate between the two paths, and each
figure is the median over rounds, since shared machines are noisy. Last, whole articles through
``stancemap.article.analyze``: the worked example repeated to 10,000 and 100,000 characters, median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import joblib
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stancemap.article import analyze  # noqa: E402
from stancemap.artifacts import version_dir  # noqa: E402
from stancemap.loading import load_statements  # noqa: E402
from stancemap.runtime import StanceModel  # noqa: E402
from stancemap.trainer import default_data_files  # noqa: E402

BATCHES = (1, 8, 64, 512)


def article_timings(model: StanceModel, rounds: int) -> dict[int, tuple[float, int]]:
    """Time ``analyze`` on the worked example repeated to 10,000 and 100,000 characters (cut at a paragraph)."""
    example = (ROOT / "examples" / "article-fr-sommet-pyongyang.txt").read_text(encoding="utf-8").strip()
    timings = {}
    for size in (10_000, 100_000):
        text = example
        while len(text) < size:
            text += "\n\n" + example
        text = text[: text.rfind("\n\n", 0, size)] if len(text) > size else text
        analyze(text, model)  # warm the caches of this text's words
        runs = []
        for _ in range(rounds):
            started = time.perf_counter()
            dyads = len(analyze(text, model)["dyads"])
            runs.append(time.perf_counter() - started)
        timings[size] = (statistics.median(runs), dyads)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--single", type=int, default=400, help="statements timed one by one per round")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    model = StanceModel.load(args.model)
    artifact = joblib.load(version_dir(args.model) / "model.joblib")
    heads = [artifact["stance"], artifact["sentiment"]]
    dyads = [s.dyad for s in load_statements(default_data_files(), model.gazetteer).statements]
    rng = np.random.default_rng(0)
    dyads = [dyads[i] for i in rng.permutation(len(dyads))]

    def reference(batch: list) -> None:
        for head in heads:
            head.predict_proba(batch)

    paths = {"sklearn pipeline": reference, "fast path": model.predict}
    for run in paths.values():  # warm caches and lazy imports before timing
        run(dyads[:512])

    single: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    throughput: dict[str, dict[int, list[float]]] = {name: {b: [] for b in BATCHES} for name in paths}
    for round_ in range(args.rounds):
        sample = dyads[round_ * args.single : (round_ + 1) * args.single] or dyads[: args.single]
        for name, run in paths.items():
            latencies = []
            for dyad in sample:
                started = time.perf_counter()
                run([dyad])
                latencies.append((time.perf_counter() - started) * 1000)
            single[name].append((float(np.percentile(latencies, 50)), float(np.percentile(latencies, 99))))
            for size in BATCHES:
                batches = [dyads[i : i + size] for i in range(0, min(len(dyads), max(size * 4, 512)), size)]
                started = time.perf_counter()
                for batch in batches:
                    run(batch)
                throughput[name][size].append(sum(map(len, batches)) / (time.perf_counter() - started))

    result = {
        name: {"p50_ms": statistics.median(p for p, _ in single[name]),
               "p99_ms": statistics.median(p for _, p in single[name]),
               "statements_per_s": {size: statistics.median(values) for size, values in throughput[name].items()}}
        for name in paths
    }
    print(f"model {model.version}; {args.rounds} interleaved rounds, medians; stance + sentiment per statement")
    print(f"{'path':<18}{'p50 ms':>9}{'p99 ms':>9}" + "".join(f"{'batch ' + str(b) + '/s':>14}" for b in BATCHES))
    for name, entry in result.items():
        print(f"{name:<18}{entry['p50_ms']:>9.3f}{entry['p99_ms']:>9.3f}"
              + "".join(f"{entry['statements_per_s'][b]:>14,.0f}" for b in BATCHES))
    ref, fast = result["sklearn pipeline"], result["fast path"]
    print(f"{'ratio (fast)':<18}{ref['p50_ms'] / fast['p50_ms']:>8.1f}x{ref['p99_ms'] / fast['p99_ms']:>8.1f}x"
          + "".join(f"{fast['statements_per_s'][b] / ref['statements_per_s'][b]:>13.1f}x" for b in BATCHES))
    articles = article_timings(model, args.rounds)
    for size, (seconds, dyads) in articles.items():
        print(f"article of {size:,} characters: {seconds * 1000:.1f} ms ({dyads} dyads), median of {args.rounds}")
    if args.json:
        args.json.write_text(json.dumps({"model": model.version, "results": result,
                                         "article_ms": {k: v[0] * 1000 for k, v in articles.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
