"""End-to-end tier: one real gunicorn with two workers, retraining while serving, metrics, the README's curl."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from stancemap.artifacts import switch_current
from stancemap.trainer import train
from tests.live import ROOT, gunicorn

pytestmark = pytest.mark.model

STATEMENT = {"text": "Le Japon a condamné le tir de missile de la Corée du Nord.", "source": "Japon",
             "target": "Corée du Nord"}


@pytest.fixture
def models_copy(models_dir, tmp_path) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy, symlinks=True)
    return copy


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    selector = re.escape(f"{{{wanted}}}") if wanted else ""
    match = re.search(rf"^{name}{selector} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_merge_both_workers(models_copy, tmp_path):
    with gunicorn(models_copy, tmp_path) as server:
        for _ in range(30):
            assert requests.post(server.url + "/v1/stance", json=STATEMENT, timeout=10).status_code == 200
        requests.post(server.url + "/v1/stance", json={"items": [STATEMENT] * 5}, timeout=10)
        for _ in range(4):  # whichever worker answers, the counts are the whole server's
            text = requests.get(server.url + "/metrics", timeout=10).text
            assert metric(text, "stancemap_requests_total", method="POST", route="/v1/stance", status="200") == 31
            assert metric(text, "stancemap_batch_items_count") == 31
            assert metric(text, "stancemap_batch_items_sum") == 35
            version = requests.get(server.url + "/readyz", timeout=10).json()["model_version"]
            assert metric(text, "stancemap_model_info", version=version) == 1


def test_retrain_lands_with_no_failed_request_and_broken_model_refused(models_copy, tmp_path, corpus, gazetteer):
    responses: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def drive(url: str) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    r = session.post(url + "/v1/stance", json=STATEMENT, timeout=30)
                    responses.append((r.status_code, r.json().get("model_version")))
                except requests.RequestException as exc:
                    responses.append((0, repr(exc)))

    with gunicorn(models_copy, tmp_path) as server:
        old = requests.get(server.url + "/readyz", timeout=10).json()["model_version"]
        threads = [threading.Thread(target=drive, args=(server.url,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)
            # A tenth of the corpus: the test is about the switch, not the new model's accuracy.
            folder, _ = train(corpus[::10], gazetteer, models_copy, folds=0, seed=1)
            new = folder.name
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                    len(responses) > 40 and all(v == new for _, v in responses[-40:])):
                time.sleep(0.2)
            switched = len(responses)

            broken = models_copy / "broken"
            shutil.copytree(folder, broken)
            artifact = broken / "model.joblib"
            artifact.write_bytes(artifact.read_bytes()[:-10])
            switch_current(models_copy, "broken")
            time.sleep(3)
            infos = [requests.get(server.url + "/v1/model", timeout=10).json() for _ in range(6)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        log = server.output()

    assert responses, "no request was sent"
    failures = [r for r in responses if r[0] != 200]
    assert not failures, failures[:5]
    versions = {v for _, v in responses}
    assert versions <= {old, new} and new in versions and old in versions
    assert all(v == new for _, v in responses[switched - 40 : switched])
    assert all(v == new for _, v in responses[switched:])
    for info in infos:
        assert info["version"] == new
        assert info["refused"]["path"] == "broken" and "checksum" in info["refused"]["error"]
    assert "refused model broken" in log


def readme_curl_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    commands, current = [], ""
    for line in "\n".join(blocks).splitlines():
        current = current + line.rstrip("\\").strip() + " " if current or line.startswith("curl ") else ""
        if current and not line.endswith("\\"):
            commands.append(current.split(" #")[0].strip())
            current = ""
    return commands


def test_readme_curl_examples_work_as_written(models_copy, tmp_path):
    commands = readme_curl_commands()
    assert len(commands) >= 4
    with gunicorn(models_copy, tmp_path) as server:
        port = server.url.rsplit(":", 1)[1]
        for command in commands:
            done = subprocess.run(command.replace("localhost:8000", f"127.0.0.1:{port}"), shell=True,
                                  capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (command, done.stderr)
            body = json.loads(done.stdout)
            assert "status" not in body or body["status"] in ("ok", "ready"), (command, body)
