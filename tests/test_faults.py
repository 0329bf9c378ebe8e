"""Faults: damaged models at start and at reload, a full disk or Ctrl-C while training, killed workers, slow clients."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from service import create_app
from stancemap.artifacts import CURRENT, switch_current
from tests.live import ROOT, free_port, gunicorn, worker_pids

pytestmark = pytest.mark.model

STATEMENT = {"text": "Le Japon a condamné le tir de missile de la Corée du Nord.", "source": "Japon",
             "target": "Corée du Nord"}
SMALL_DATA = [ROOT / "data" / "corpus" / "en_europe_mideast.jsonl"]
DAMAGES = {
    "truncated": "checksum mismatch",
    "tampered": "checksum mismatch",
    "other scikit-learn": "built with scikit-learn 0.24.2",
    "other schema": "manifest schema 99",
}


def damaged_copy(models: Path, kind: str) -> str:
    """Copy the current version of ``models`` as a new version damaged in one way; return its name."""
    name = f"damaged-{kind.replace(' ', '-')}"
    folder = models / name
    shutil.copytree((models / CURRENT).resolve(), folder)
    artifact, manifest_path = folder / "model.joblib", folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if kind == "truncated":
        artifact.write_bytes(artifact.read_bytes()[: artifact.stat().st_size // 2])
    elif kind == "tampered":
        data = bytearray(artifact.read_bytes())
        data[len(data) // 2] ^= 0xFF
        artifact.write_bytes(bytes(data))
    elif kind == "other scikit-learn":
        manifest["libraries"]["scikit-learn"] = "0.24.2"
    else:
        manifest["schema_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    return name


@pytest.fixture
def models_copy(models_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy, symlinks=True)
    return copy


@pytest.mark.parametrize("kind", DAMAGES)
def test_damaged_model_stops_the_start_with_one_line(models_copy, kind):
    switch_current(models_copy, damaged_copy(models_copy, kind))
    result = subprocess.run([sys.executable, "-m", "service.serve", "--port", str(free_port()), "--model-dir",
                             str(models_copy)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.startswith("stancemap-serve: refusing to start: ")
    assert DAMAGES[kind] in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", DAMAGES)
def test_damaged_model_refused_at_reload_while_the_old_one_serves(models_copy, kind):
    client = create_app({"MODEL_DIR": str(models_copy), "RELOAD_INTERVAL": 0, "ACCESS_LOG": False}).test_client()
    old = client.get("/v1/model").get_json()["version"]
    name = damaged_copy(models_copy, kind)
    switch_current(models_copy, name)
    answer = client.post("/v1/stance", json=STATEMENT)
    assert answer.status_code == 200 and answer.get_json()["model_version"] == old
    info = client.get("/v1/model").get_json()
    assert info["version"] == old
    assert info["refused"]["path"] == name and DAMAGES[kind] in info["refused"]["error"]


def train_command(out: Path) -> list[str]:
    data = [arg for path in SMALL_DATA for arg in ("--data", str(path))]
    return [sys.executable, "-m", "training.train", *data, "--folds", "0", "--out", str(out)]


def snapshot(models: Path) -> tuple[str, list[str]]:
    return os.readlink(models / CURRENT), sorted(p.name for p in models.iterdir())


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trained") / "models"
    subprocess.run(train_command(out), cwd=ROOT, check=True, capture_output=True, timeout=300)
    return out


@pytest.fixture
def trained(trained_once: Path, tmp_path: Path) -> Path:
    """A models folder with one version made by stancemap-train."""
    return Path(shutil.copytree(trained_once, tmp_path / "models", symlinks=True))


def test_full_disk_while_training_leaves_current_untouched(trained):
    before = snapshot(trained)

    def small_files_only() -> None:  # the kernel refuses writes past 200 kB, as a full disk would (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    result = subprocess.run(train_command(trained), cwd=ROOT, capture_output=True, text=True, timeout=300,
                            preexec_fn=small_files_only)
    assert result.returncode == 1, result.stderr
    assert "cannot write the model to" in result.stderr and "File too large" in result.stderr
    assert "current is unchanged" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(trained) == before


def test_unwritable_models_path_says_why(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the models folder should be")
    result = subprocess.run(train_command(blocker / "models"), cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert "cannot write the model to" in result.stderr and "Not a directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert blocker.read_text() == "a file where the models folder should be"


def test_ctrl_c_while_the_version_is_written_leaves_nothing_half_written(trained_once, tmp_path):
    # Writing a version takes about 0.2 s; on a busy machine the signal can land after it is done. Such a run
    # says nothing of an interrupted write, so it is started again on a fresh copy, up to five times.
    for attempt in range(5):
        trained = Path(shutil.copytree(trained_once, tmp_path / f"models-{attempt}", symlinks=True))
        before = snapshot(trained)
        process = subprocess.Popen(train_command(trained), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while not any(p.name.startswith(".incoming-") for p in trained.iterdir()):
            assert process.poll() is None, "training ended before it started writing"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
        if process.returncode != 0:
            break
    assert process.returncode == 130, err
    assert "interrupted; no model version was written" in err and "Traceback" not in err
    assert snapshot(trained) == before


def test_a_killed_worker_is_replaced_and_only_its_requests_fail(models_copy, tmp_path):
    outcomes: list[int | str] = []
    stop = threading.Event()

    def drive(url: str) -> None:
        while not stop.is_set():
            try:
                outcomes.append(requests.post(url + "/v1/stance", json=STATEMENT, timeout=30).status_code)
            except requests.RequestException as exc:
                outcomes.append(type(exc).__name__)

    with gunicorn(models_copy, tmp_path) as server:
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        clients = [threading.Thread(target=drive, args=(server.url,)) for _ in range(4)]
        for client in clients:
            client.start()
        try:
            time.sleep(1)
            victim = min(workers)
            os.kill(victim, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while len(worker_pids(server.process.pid) - {victim}) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            after_kill = len(outcomes)
            time.sleep(2)
        finally:
            stop.set()
            for client in clients:
                client.join()
        replaced = worker_pids(server.process.pid)
        assert victim not in replaced and len(replaced) == 2

    failed = [o for o in outcomes if o != 200]
    assert len(failed) <= 4, failed  # at most the requests in flight on the killed worker, one per client
    assert all(isinstance(o, str) for o in failed), failed  # connections cut, never a 5xx
    assert outcomes[after_kill:] and all(o == 200 for o in outcomes[after_kill:])


def slow_client(port: int, replies: list[bytes]) -> None:
    """Send a request's headers, then its body one byte a second; keep what the server answers."""
    body = json.dumps(STATEMENT).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /v1/stance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        reply = b""
        for byte in body:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(1)
            try:
                reply = sock.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except OSError:
                break
            break  # an answer, or the server closed the connection
        replies.append(reply)


def test_slow_clients_do_not_hold_the_server(models_copy, tmp_path):
    # A short connection deadline, so that the test also sees the slow clients cut off.
    with gunicorn(models_copy, tmp_path, GUNICORN_CMD_ARGS="--timeout 4") as server:
        port = int(server.url.rsplit(":", 1)[1])
        replies: list[bytes] = []
        slow = [threading.Thread(target=slow_client, args=(port, replies)) for _ in range(20)]
        for client in slow:
            client.start()
        time.sleep(1)
        # Twenty slow clients on a two-worker server: the others are still answered.
        answers = [requests.post(server.url + "/v1/stance", json=STATEMENT, timeout=10) for _ in range(10)]
        for client in slow:
            client.join(timeout=60)
        log = server.output()
    assert [a.status_code for a in answers] == [200] * 10
    assert len(replies) == 20
    assert all(reply.startswith(b"HTTP/1.1 408") for reply in replies), replies[:3]
    assert "took more than 4 s" in log and "Traceback" not in log
