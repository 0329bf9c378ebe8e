"""Training cost benchmark: fit time and peak memory against corpus size.

Usage: python bench/training.py [--sizes 1000,10000,100000] [--jobs 1] [--json out.json]

Each size is fitted in its own process (stance and sentiment pipelines, no cross-validation, as ``stancemap-train
--jobs N`` fits them: with N of 2 or more, side by side in two worker processes), so its peak RSS is its own: the
largest of the process and its workers. Sizes beyond the bundled corpus are made by resampling it with light
perturbation: each copy swaps actor names for others of the same kind in the gazetteer and drops a random word, so
the vocabulary grows the way a larger real corpus's would rather than repeating itself.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stancemap.gazetteer import Gazetteer  # noqa: E402
from stancemap.loading import load_statements  # noqa: E402
from stancemap.schema import Statement  # noqa: E402
from stancemap.trainer import default_data_files, fit_heads  # noqa: E402


def resample(statements: list[Statement], gazetteer: Gazetteer, size: int, seed: int = 0) -> list[Statement]:
    """Return ``size`` statements: the corpus first, then perturbed copies of it."""
    rng = random.Random(seed)
    countries = [a for a in gazetteer.actors.values() if a.kind == "country"]
    out = list(statements[:size])
    while len(out) < size:
        s = rng.choice(statements)
        text = s.text
        mentions = gazetteer.find_mentions(text)
        for m in sorted(mentions, key=lambda m: -m.start)[:1]:
            other = rng.choice(countries)
            text = text[: m.start] + other.name + text[m.end :]
        words = text.split()
        if len(words) > 8:
            del words[rng.randrange(1, len(words) - 1)]
        text = " ".join(words)
        source, target = s.source, s.target
        if source not in text or target not in text:
            text, source, target = s.text, s.source, s.target
        out.append(Statement(text, source, target, s.stance, s.sentiment, s.lang))
    return out


def fit(size: int, jobs: int) -> dict[str, float]:
    """Fit both heads on ``size`` statements as ``stancemap-train`` does; return seconds and peak RSS."""
    gazetteer = Gazetteer.load()
    corpus = load_statements(default_data_files(), gazetteer).statements
    data = resample(corpus, gazetteer, size)
    started = time.perf_counter()
    fit_heads(data, gazetteer, n_jobs=jobs)
    seconds = time.perf_counter() - started
    # With jobs > 1 the heads are fitted in worker processes: shut them down so that their peak counts as children's.
    get_reusable_executor().shutdown(wait=True)
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"statements": size, "jobs": jobs, "seconds": seconds, "peak_rss_mb": peak / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--jobs", type=int, default=1, help="processes fitting the two heads (stancemap-train --jobs)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(fit(args.child, args.jobs)))
        return 0
    rows = []
    for size in map(int, args.sizes.split(",")):
        done = subprocess.run([sys.executable, __file__, "--child", str(size), "--jobs", str(args.jobs)],
                              capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"fitted {size}", file=sys.stderr, flush=True)
    print(f"{'statements':>11}{'jobs':>6}{'fit s':>9}{'peak RSS MB':>13}{'s per 1k':>10}")
    for row in rows:
        print(f"{row['statements']:>11,}{row['jobs']:>6}{row['seconds']:>9.1f}{row['peak_rss_mb']:>13,.0f}"
              f"{1000 * row['seconds'] / row['statements']:>10.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
