"""HTTP serving benchmark: our gunicorn service against a constant-JSON endpoint on the same gunicorn config.

Usage: python bench/serving.py [--model models] [--seconds 10] [--connections 8] [--mlserver PATH] [--json F]

Starts each server on a free 127.0.0.1 port, drives it with wrk (Debian's package) for a bounded time, and
prints requests/s, statements/s, p50/p99 latency, non-2xx count and the PSS of each server's process tree.
Requests cycle through distinct statements of the bundled corpus, so no cache sees the same text twice in a row.
Runs are interleaved (constant, single, batch, repeated) and the figures are medians, with ratios.

With ``--mlserver .venv-bench/bin/mlserver`` (from ``pip install -e '.[bench]'``), Seldon MLServer's sklearn
runtime serves the same fitted stance pipeline (V2 protocol, 2 parallel workers) in the same run. It returns
stance probabilities only; our service also resolves actors, scores sentiment and names evidence.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import free_port  # noqa: E402

STATEMENT = {"text": "Le secrétaire général de l'Otan a accusé la Russie de violer les sanctions imposées à la Corée "
                     "du Nord.", "source": "Otan", "target": "Russie"}
BATCH = 64
BODIES = 16  # distinct request bodies per run, cycled by wrk, each of distinct corpus statements
CONSTANT_APP = '''
from flask import Flask, jsonify

def create_app():
    app = Flask("constant")

    @app.post("/v1/stance")
    def constant():
        return jsonify({"stance": {"label": "neutral"}, "model_version": "constant"})

    @app.get("/readyz")
    def ready():
        return jsonify({"status": "ready"})

    return app
'''


def start(app: str, workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "service" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", app],
        cwd=workdir, env={**os.environ, "STANCEMAP_ACCESS_LOG": "false", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wait_ready(process, f"http://127.0.0.1:{port}", "/readyz")


def wait_ready(process: subprocess.Popen, url: str, probe: str) -> tuple[subprocess.Popen, str]:
    """Wait up to a minute for ``url + probe`` to answer 200."""
    for _ in range(300):
        try:
            if requests.get(url + probe, timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{url} did not become ready")


def pss_mb(pid: int) -> float:
    """Sum the proportional set size of a process and its children, in MB."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


def start_mlserver(executable: str, model: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    """Serve the stance pipeline of ``model`` with MLServer's sklearn runtime."""
    import joblib

    from stancemap.artifacts import version_dir

    folder = workdir / "mlserver" / "stance"
    folder.mkdir(parents=True)
    joblib.dump(joblib.load(version_dir(model) / "model.joblib")["stance"], folder / "model.joblib")
    (folder / "model-settings.json").write_text(json.dumps(
        {"name": "stance", "implementation": "mlserver_sklearn.SKLearnModel",
         "parameters": {"uri": "./model.joblib", "version": "v1"}}))
    port = free_port()
    (folder.parent / "settings.json").write_text(json.dumps(
        {"host": "127.0.0.1", "http_port": port, "grpc_port": free_port(), "metrics_port": free_port(),
         "parallel_workers": 2}))
    process = subprocess.Popen([executable, "start", str(folder.parent)], cwd=folder.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wait_ready(process, f"http://127.0.0.1:{port}", "/v2/models/stance/ready")


def corpus_items(count: int) -> list[dict[str, str]]:
    """Distinct statements of the bundled corpus, as API items."""
    from stancemap.gazetteer import Gazetteer
    from stancemap.loading import load_statements
    from stancemap.trainer import default_data_files

    statements = load_statements(default_data_files(), Gazetteer.load()).statements
    step = max(1, len(statements) // count)
    return [{"text": s.text, "source": s.source, "target": s.target} for s in statements[::step][:count]]


def v2_body(items: list[dict[str, str]]) -> dict:
    """A V2 inference request for the items, asking for probabilities."""
    data = [value for item in items for value in (item["text"], item["source"], item["target"])]
    return {"inputs": [{"name": "dyads", "shape": [len(items), 3], "datatype": "BYTES", "data": data}],
            "outputs": [{"name": "predict_proba"}]}


def wrk(url: str, bodies: list[dict], seconds: int, connections: int, workdir: Path) -> dict[str, float]:
    script = workdir / "post.lua"
    quoted = ", ".join(json.dumps(json.dumps(body)) for body in bodies)
    script.write_text(textwrap.dedent(f"""
        local bodies = {{{quoted}}}
        local i = 0
        request = function()
          i = i % #bodies + 1
          return wrk.format("POST", nil, {{["Content-Type"] = "application/json"}}, bodies[i])
        end
    """))
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    return wrk_figures(out)


def have_wrk() -> bool:
    """Say whether Debian's wrk is installed, and how to install it if not."""
    if shutil.which("wrk"):
        return True
    print("wrk is needed: apt-get install wrk", file=sys.stderr)
    return False


def wrk_figures(out: str) -> dict[str, float]:
    """Read requests/s, p50/p99 latency (ms), non-2xx responses and socket errors from wrk's report."""

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)", out, re.MULTILINE).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": latency("50"), "p99_ms": latency("99"),
            "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": sum(map(int, socket.groups())) if socket else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mlserver", help="an mlserver executable with mlserver-sklearn and stancemap installed")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not have_wrk():
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="stancemap-serving-"))
    (workdir / "constant_app.py").write_text(CONSTANT_APP)
    servers = {
        "constant JSON": start("constant_app:create_app()", workdir,
                               {"PROMETHEUS_MULTIPROC_DIR": str(workdir / "m1"), "PYTHONPATH": str(workdir)}),
        "stancemap": start("service:create_app()", ROOT,
                           {"STANCEMAP_MODEL_DIR": str(args.model.resolve()),
                            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "m2")}),
    }
    items = corpus_items(BATCH * BODIES)
    singles = [[item] for item in items[:BODIES * 4]]
    batches = [items[i * BATCH : (i + 1) * BATCH] for i in range(BODIES)]
    runs = {("constant JSON", "single"): ("/v1/stance", [STATEMENT], 1),
            ("stancemap", "single"): ("/v1/stance", [group[0] for group in singles], 1),
            ("stancemap", f"batch {BATCH}"): ("/v1/stance", [{"items": batch} for batch in batches], BATCH)}
    if args.mlserver:
        servers["MLServer"] = start_mlserver(args.mlserver, args.model, workdir)
        infer = "/v2/models/stance/infer"
        runs[("MLServer", "single")] = (infer, [v2_body(group) for group in singles], 1)
        runs[("MLServer", f"batch {BATCH}")] = (infer, [v2_body(batch) for batch in batches], BATCH)
    results: dict[tuple[str, str], list[dict[str, float]]] = {key: [] for key in runs}
    try:
        for _ in range(args.rounds):
            for (server, kind), (path, bodies, size) in runs.items():
                result = wrk(servers[server][1] + path, bodies, args.seconds, args.connections, workdir)
                result["statements_per_s"] = result["requests_per_s"] * size
                results[(server, kind)].append(result)
        memory = {name: pss_mb(process.pid) for name, (process, _) in servers.items()}
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    medians = {f"{server} {kind}": {k: statistics.median(r[k] for r in rs) for k in rs[0]}
               for (server, kind), rs in results.items()}
    print(f"gunicorn (service/gunicorn.conf.py: 2 gevent workers, preload), wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s, medians of {args.rounds} interleaved rounds")
    print(f"{'run':<26}{'req/s':>10}{'stmts/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>9}")
    for name, r in medians.items():
        print(f"{name:<26}{r['requests_per_s']:>10,.0f}{r['statements_per_s']:>10,.0f}{r['p50_ms']:>9.2f}"
              f"{r['p99_ms']:>9.2f}{r['errors']:>9.0f}{r['socket_errors']:>9.0f}")
    single = medians["stancemap single"]["requests_per_s"] / medians["constant JSON single"]["requests_per_s"]
    print(f"stancemap single / constant-JSON ceiling: {single:.2f}")
    if "MLServer single" in medians:
        for kind, key in (("single", "requests_per_s"), (f"batch {BATCH}", "statements_per_s")):
            ratio = medians[f"stancemap {kind}"][key] / medians[f"MLServer {kind}"][key]
            print(f"stancemap / MLServer, {kind} ({key}): {ratio:.2f}x")
    print("PSS of the process tree: " + ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items()))
    if args.json:
        args.json.write_text(json.dumps({"results": medians, "pss_mb": memory}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
