"""API fuzzing: thousands of requests generated from our own /openapi.json against a real gunicorn.

Usage: python bench/fuzz.py [--model models] [--max-examples 1000] [--seed N] [--workers 2] [--json F]

Starts the service (2 gevent workers, the admin route enabled with a random token) on a free 127.0.0.1 port and
runs schemathesis' command line on it twice: every route with the admin token (its ``ignored_auth`` check also
sends the admin requests without a token and with a wrong one), then the admin route with no token at all.
Every built-in check runs, plus ours (every 4xx/5xx is problem+json with its own status). Prints the requests
per route and their statuses, the failures found, and schemathesis' own report of each failure. Exits 1 on
any failure. ``--max-examples`` bounds each route's generated cases per phase; the run stops by itself.
Without a trained model in ``--model``, a quick one (no cross-validation) is trained into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzzing import FuzzResult, run_schemathesis  # noqa: E402
from tests.live import gunicorn  # noqa: E402


def model_folder(path: Path, workdir: Path) -> Path:
    """Return ``path`` if it holds a model, else a quickly trained one (bundled corpus, no cross-validation)."""
    if (path / "current").exists() or (path / "manifest.json").exists():
        return path
    from stancemap.gazetteer import Gazetteer
    from stancemap.loading import load_statements
    from stancemap.trainer import default_data_files, train

    print(f"no model in {path}: training one on the bundled corpus (about a minute)", flush=True)
    gazetteer = Gazetteer.load()
    statements = load_statements(default_data_files(), gazetteer).statements
    out = workdir / "models"
    train(statements, gazetteer, out, data_files=default_data_files(), folds=0)
    return out


def report(title: str, result: FuzzResult, seconds: float) -> None:
    """Print one run: requests and statuses per route, then the totals."""
    print(f"\n{title}: {result.total} requests in {seconds:.0f} s, {result.failures} failure(s), "
          f"schemathesis exit {result.returncode}")
    statuses: dict[str, Counter[int]] = {}
    for (route, status), count in result.answers.items():
        statuses.setdefault(route, Counter())[status] += count
    from service.openapi import document

    routes = {f"{method.upper()} {path}" for path, item in document(admin=True)["paths"].items() for method in item}
    documented = [route for route in result.requests if route in routes]
    print(f"  {'route':<28} {'requests':>8}  statuses")
    for route in sorted(documented, key=lambda r: -result.requests[r]):
        spread = ", ".join(f"{status}: {n}" for status, n in sorted(statuses[route].items()))
        print(f"  {route:<28} {result.requests[route]:>8}  {spread}")
    others = [route for route in result.requests if route not in documented]
    if others:
        print(f"  {'undocumented methods':<28} {sum(result.requests[r] for r in others):>8}  "
              + ", ".join(f"{status}: {n}" for status, n in sorted(
                  sum((statuses[r] for r in others), Counter()).items())))
    print(f"  {'all':<28} {result.total:>8}  "
          + ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items())))


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz and print its figures; return 1 when anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models", help="a models folder or one version")
    parser.add_argument("--max-examples", type=int, default=1000, help="cases per route and phase (default 1000)")
    parser.add_argument("--seed", type=int, help="replay a run (printed at the end of each run's report)")
    parser.add_argument("--workers", type=int, default=2, help=(
        "concurrent schemathesis workers (default 2; with more than one, CPython 3.11's ast.parse can crash the "
        "fuzzer itself under threads, reported as a Runtime Error, not a finding: rerun with 1)"))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    token = secrets.token_urlsafe(16)
    figures: dict[str, dict] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="stancemap-fuzz-") as tmp:
        workdir = Path(tmp)
        models = model_folder(args.model, workdir)
        with gunicorn(models, workdir, STANCEMAP_ADMIN_TOKEN=token, STANCEMAP_ACCESS_LOG="false") as server:
            print(f"service: gunicorn, 2 gevent workers, {server.url}; schemathesis --checks all "
                  f"--max-examples {args.max_examples} --workers {args.workers}")
            runs = [("every route, with the admin token", {"token": token}),
                    ("the admin route, without a token", {"token": None, "include_path": "/v1/admin/reload"})]
            for title, options in runs:
                started = time.monotonic()
                result = run_schemathesis(server.url, workdir, max_examples=args.max_examples, seed=args.seed,
                                          workers=args.workers, **options)
                report(title, result, time.monotonic() - started)
                server_errors = sum(n for status, n in result.statuses.items() if status >= 500)
                if result.returncode or result.failures or server_errors:
                    failed = True
                    marks = [result.output.find(mark) for mark in ("ERRORS", "FAILURES") if mark in result.output]
                    print(result.output[min(marks):] if marks else result.output[-5000:])
                seed = next((line.split()[1] for line in result.output.splitlines() if line.startswith("Seed:")),
                            None)
                figures[title] = {"requests": dict(result.requests), "statuses": dict(result.statuses),
                                  "failures": result.failures, "server_errors": server_errors, "seed": seed}
                print(f"  seed {seed}; 5xx answers: {server_errors}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\nfailures found:", "yes, see above" if failed else "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
