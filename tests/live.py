"""Run the real service under gunicorn on a free loopback port for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master: int) -> set[int]:
    """The live child processes of ``master``, read from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master and fields[0] != "Z":
            children.add(int(stat.parent.name))
    return children


@contextmanager
def gunicorn(models_dir: Path, workdir: Path, *, workers: int = 2, **env: str) -> Iterator[Server]:
    """Start ``stancemap-serve`` on 127.0.0.1, wait until it is ready, and stop it afterwards."""
    port = free_port()
    log = workdir / f"gunicorn-{port}.log"
    environment = {**os.environ, "STANCEMAP_MODEL_DIR": str(models_dir), "STANCEMAP_RELOAD_INTERVAL": "0.5",
                   "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{port}"), **env}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)], cwd=ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.output()}")
            try:
                if requests.get(server.url + "/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn was not ready within 60 s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
