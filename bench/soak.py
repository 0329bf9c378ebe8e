"""Soak benchmark: a live gunicorn under load while stancemap-train lands two new models and a worker is killed.

Usage: python bench/soak.py [--model models] [--connections 32] [--min-seconds 60] [--json F]

Starts our gunicorn (service/gunicorn.conf.py, 2 workers) on a free 127.0.0.1 port serving a copy of ``--model``
and drives it with wrk (Debian's package) in four phases, each a separate wrk run so that its figures stand alone:

1. ``before``: steady load.
2. ``retrain``: load while ``stancemap-train --folds 0`` trains on the bundled corpus and lands a new version,
   twice (the load lasts at least ``--min-seconds`` and until both versions serve).
3. ``kill``: load while one worker is killed with SIGKILL; gunicorn starts another. Requests in flight on that
   worker are cut; that is the only loss allowed.
4. ``after``: steady load on the last model.

A wrk Lua script tallies every response's status and ``model_version``; the bench prints, per phase and in total,
requests, failures (socket errors and non-2xx), 5xx, the versions seen (each checked to be one that existed), and
p50/p99 latency.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import corpus_items, have_wrk, wrk_figures  # noqa: E402
from tests.live import gunicorn, worker_pids  # noqa: E402

LUA = """
local bodies = {%s}
local i = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {}; versions = {} end
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local version = body:match('"model_version": ?"([^"]+)"')
  if version then versions[version] = (versions[version] or 0) + 1 end
end
function done(summary, latency, requests)
  local function merge(name)
    local total, parts = {}, {}
    for _, thread in ipairs(threads) do
      for key, n in pairs(thread:get(name)) do total[key] = (total[key] or 0) + n end
    end
    for key, n in pairs(total) do table.insert(parts, string.format('"%%s": %%d', key, n)) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  io.write("TALLY {\\"statuses\\": " .. merge("statuses") .. ", \\"versions\\": " .. merge("versions") .. "}\\n")
end
"""


class Load:
    """One wrk run in the background, stopped by SIGINT (wrk then prints its summary and runs ``done``)."""

    def __init__(self, url: str, script: Path, connections: int):
        self.process = subprocess.Popen(
            ["wrk", "-t2", f"-c{connections}", "-d3600s", "--timeout", "30s", "--latency", "-s", str(script), url],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.started = time.monotonic()

    def stop(self) -> dict:
        """Stop the run and return its figures and tallies."""
        seconds = time.monotonic() - self.started
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=60)
        tally = json.loads(re.search(r"^TALLY (.*)$", out, re.MULTILINE).group(1))
        statuses = {int(k): v for k, v in tally["statuses"].items()}
        figures = wrk_figures(out)
        return {"seconds": round(seconds, 1), "requests": sum(statuses.values()) + figures["socket_errors"],
                "failed": figures["socket_errors"] + sum(n for s, n in statuses.items() if s >= 300),
                "5xx": sum(n for s, n in statuses.items() if s >= 500), "socket_errors": figures["socket_errors"],
                "versions": tally["versions"], "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"]}


def phase(url: str, script: Path, connections: int, seconds: float, during=None) -> dict:
    """Run the load for at least ``seconds`` and until ``during()`` (run in a thread) has returned."""
    load = Load(url, script, connections)
    worker = threading.Thread(target=during) if during else None
    if worker:
        worker.start()
    time.sleep(seconds)
    if worker:
        worker.join()
    return load.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models", help="models folder to copy and serve")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--min-seconds", type=float, default=60, help="shortest retrain phase (default: 60)")
    parser.add_argument("--steady-seconds", type=float, default=20, help="before, kill and after phases")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not have_wrk():
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="stancemap-soak-"))
    models = workdir / "models"
    shutil.copytree(args.model, models, symlinks=True)
    bodies = [json.dumps(item) for item in corpus_items(64)]
    script = workdir / "soak.lua"
    script.write_text(textwrap.dedent(LUA % ", ".join(json.dumps(b) for b in bodies)))
    trainings: list[dict] = []

    def retrain_twice() -> None:
        for _ in range(2):
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "training.train", "--folds", "0", "--out", str(models)],
                                  cwd=ROOT, capture_output=True, text=True)
            trainings.append({"exit": done.returncode, "seconds": round(time.monotonic() - started, 1),
                              "version": os.readlink(models / "current")})
            time.sleep(3)  # let the workers pick the version up under load before the next one lands

    results: dict[str, dict] = {}
    killed: list[int] = []
    with gunicorn(models, workdir, STANCEMAP_ACCESS_LOG="false") as server:
        url = server.url + "/v1/stance"

        def kill_one_worker() -> None:
            time.sleep(args.steady_seconds / 3)
            victim = min(worker_pids(server.process.pid))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        results["before"] = phase(url, script, args.connections, args.steady_seconds)
        results["retrain"] = phase(url, script, args.connections, args.min_seconds, retrain_twice)
        results["kill"] = phase(url, script, args.connections, args.steady_seconds, kill_one_worker)
        results["after"] = phase(url, script, args.connections, args.steady_seconds)
        replaced = len(worker_pids(server.process.pid) - set(killed))
        log = server.output()
    existed = {p.name for p in models.iterdir() if not p.name.startswith(".") and p.name != "current"}
    total = {key: sum(r[key] for r in results.values()) for key in ("seconds", "requests", "failed", "5xx")}
    seen = {v for r in results.values() for v in r["versions"]}
    print(f"soak: wrk -t2 -c{args.connections} against gunicorn (2 workers) on 127.0.0.1, {len(bodies)} distinct "
          "corpus statements")
    print(f"{'phase':<9}{'seconds':>8}{'requests':>10}{'failed':>8}{'5xx':>6}{'p50 ms':>8}{'p99 ms':>8}  versions")
    for name, r in {**results, "total": {**total, "p50_ms": None, "p99_ms": None,
                                          "versions": dict.fromkeys(sorted(seen), 0)}}.items():
        p50 = f"{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}" if r["p50_ms"] is not None else f"{'':>16}"
        print(f"{name:<9}{r['seconds']:>8.0f}{r['requests']:>10,}{r['failed']:>8}{r['5xx']:>6}{p50}  "
              + ", ".join(f"{v[-8:]}{f' x{n:,}' if n else ''}" for v, n in r["versions"].items()))
    print("trainings: " + "; ".join(f"exit {t['exit']} in {t['seconds']} s -> {t['version']}" for t in trainings))
    print(f"versions seen {len(seen)}, all existed: {seen <= existed}; worker killed: pid {killed}, "
          f"live workers after: {replaced}; tracebacks in the server log: {log.count('Traceback')}")
    if args.json:
        args.json.write_text(json.dumps({"phases": results, "trainings": trainings, "versions_existed": sorted(existed),
                                         "killed": killed}, indent=2))
    ok = (seen <= existed and all(t["exit"] == 0 for t in trainings) and total["5xx"] == 0
          and results["retrain"]["failed"] == 0 and results["before"]["failed"] == 0
          and results["after"]["failed"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
