"""Security tier: the admin route's guard, no request-chosen paths or unpickling, headers, image, dependency audit."""

from __future__ import annotations

import hmac
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from service import create_app
from tests.conftest import LIVE_ADMIN_TOKEN
from tests.fuzzing import problem_errors
from tests.live import ROOT

STATEMENT = {"text": "L'Otan accuse la Russie de violer les sanctions.", "source": "Otan", "target": "Russie"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.data[:300]
    assert not problem_errors(status, response.headers["Content-Type"], response.data)
    return response.json


@pytest.mark.model
def test_admin_route_is_absent_without_a_token(models_dir):
    client = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False}).test_client()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert_problem(client.post("/v1/admin/reload", headers=headers), 404)
    assert not [path for path in client.get("/openapi.json").json["paths"] if "admin" in path]


@pytest.mark.model
def test_admin_route_refuses_missing_and_wrong_tokens_through_compare_digest(models_dir, monkeypatch):
    calls = []
    compare = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        calls.append((given, expected))
        return compare(given, expected)

    monkeypatch.setattr("service.admin.hmac.compare_digest", spy)
    client = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False, "ADMIN_TOKEN": "s3cret"}).test_client()
    wrong = ["", "s3cret", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret ", "bearer s3cret", "Basic s3cret",
             "Bearer S3CRET", "Bearer s3cret\u00e9", "Bearer s3crets3cret"]
    for value in wrong:
        response = client.post("/v1/admin/reload", headers={"Authorization": value} if value else {})
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert len(calls) == len(wrong)  # every refusal went through the constant-time comparison
    assert client.post("/v1/admin/reload", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert_problem(client.get("/v1/admin/reload", headers={"Authorization": "Bearer s3cret"}), 405)


# Process-wide record of file and unpickling events (audit hooks cannot be removed, so one hook for the session).
_EVENTS: list[tuple[str, str]] = []
_RECORDING: list[bool] = []


def _hook(event: str, args: tuple) -> None:
    if _RECORDING and event in ("open", "os.listdir", "os.scandir", "pickle.find_class"):
        _EVENTS.append((event, str(args[0]) if args else ""))


sys.addaudithook(_hook)


@pytest.mark.model
def test_no_request_makes_the_service_read_a_path_or_unpickle(models_dir, tmp_path):
    """Paths and model folders named anywhere in a request are text: nothing is opened, listed or unpickled."""
    decoy = tmp_path / "decoy-models"
    decoy.mkdir()
    (decoy / "model.joblib").write_bytes(b"not a model")
    names = [str(decoy), str(decoy / "model.joblib"), f"file://{decoy}", "../" * 8 + "etc/passwd", "~/.ssh/id_rsa"]
    app = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False, "ADMIN_TOKEN": "s3cret"})
    client = app.test_client()
    version = client.get("/v1/model").json["version"]
    admin = {"Authorization": "Bearer s3cret"}
    _RECORDING.append(True)
    try:
        for name in names:
            assert client.post("/v1/stance", json={**STATEMENT, "model_dir": name, "model": name, "path": name,
                                                   "MODEL_DIR": name}).status_code == 200
            assert client.post("/v1/stance", json={"text": f"Otan {name} Russie", "source": name,
                                                   "target": "Russie"}).status_code == 200
            assert client.post("/v1/analyze", json={"text": f"L'Otan cite {name}.", "lang": "fr",
                                                    "model_dir": name}).status_code == 200
            for route in ("/v1/model", "/v1/actors", "/readyz", "/openapi.json"):
                assert client.get(route, query_string={"model_dir": name, "q": name, "path": name}).status_code \
                    in (200, 400)
            assert client.post("/v1/admin/reload", json={"model_dir": name}, headers=admin).json[
                "model_version"] == version
            assert client.get(f"/static/{name}").status_code in (404, 308)
    finally:
        _RECORDING.clear()
    assert not [event for event in _EVENTS if "decoy" in event[1] or "passwd" in event[1] or ".ssh" in event[1]]
    assert not [event for event in _EVENTS if event[0] == "pickle.find_class"], "a request unpickled something"
    assert client.get("/v1/model").json["version"] == version


@pytest.mark.model
def test_security_headers_on_the_page_and_every_answer(live):
    page = requests.get(live.url + "/", timeout=30)
    csp = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and "unsafe" not in page.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY"
    # No inline script or event handler: the CSP would block it, so the page must not need one.
    html = page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and not re.search(r"\son[a-z]+\s*=", html)
    answers = [page, requests.get(live.url + "/static/app.js", timeout=30), requests.get(live.url + "/healthz"),
               requests.get(live.url + "/metrics", timeout=30), requests.get(live.url + "/nowhere", timeout=30),
               requests.post(live.url + "/v1/stance", json={}, timeout=30),
               requests.post(live.url + "/v1/admin/reload", timeout=30),
               requests.post(live.url + "/v1/admin/reload", headers={"Authorization": f"Bearer {LIVE_ADMIN_TOKEN}"},
                             timeout=30)]
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
        assert response.headers["Referrer-Policy"] == "no-referrer", response.url


def test_image_runs_as_non_root_over_a_root_owned_read_only_model_folder():
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    runtime = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")):]
    [user] = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert user not in ("root", "0")
    model_dir = next(match[1] for line in runtime if (match := re.search(r"STANCEMAP_MODEL_DIR=(\S+)", line)))
    [copy] = [line for line in runtime if line.startswith("COPY ") and line.split()[-1] == model_dir]
    assert "--chown=root:root" in copy and re.search(r"--chmod=\S*go-w", copy), copy
    assert runtime.index(copy) < next(i for i, line in enumerate(runtime) if line.startswith("USER "))
    assert not [line for line in runtime if line.startswith("RUN ") and ("chown" in line or "chmod" in line)]


def audit(tmp_path: Path, report: dict, waivers: str) -> subprocess.CompletedProcess:
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "waivers").write_text(waivers, encoding="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "tools" / "audit.py"), "--report", str(tmp_path / "report.json"),
                           "--waivers", str(tmp_path / "waivers")], capture_output=True, text=True)


VULNERABLE = {"dependencies": [
    {"name": "flask", "version": "3.1.3", "vulns": []},
    {"name": "werkzeug", "version": "3.1.9", "vulns": [{"id": "PYSEC-2099-1", "aliases": ["GHSA-xxxx-yyyy-zzzz"],
                                                        "fix_versions": ["3.1.10"], "description": "d"}]},
    {"name": "stancemap", "skip_reason": "distribution marked as editable"}], "fixes": []}


def test_audit_fails_on_an_unwaived_vulnerability(tmp_path):
    done = audit(tmp_path, VULNERABLE, "# none\n")
    assert done.returncode == 1
    assert "werkzeug 3.1.9: PYSEC-2099-1 / GHSA-xxxx-yyyy-zzzz (fixed in 3.1.10)" in done.stderr


def test_audit_passes_a_vulnerability_waived_with_a_reason(tmp_path):
    done = audit(tmp_path, VULNERABLE, "GHSA-xxxx-yyyy-zzzz  # only the debugger is affected; we never run it\n")
    assert done.returncode == 0, done.stderr
    assert "waived: only the debugger is affected" in done.stdout


def test_audit_refuses_a_waiver_without_a_reason(tmp_path):
    done = audit(tmp_path, VULNERABLE, "PYSEC-2099-1\n")
    assert done.returncode == 2 and "waivers:1" in done.stderr


def test_audit_says_loudly_what_it_could_not_check(tmp_path):
    report = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI"}], "fixes": []}
    done = audit(tmp_path, report, "")
    assert done.returncode == 0 and "could NOT be audited" in done.stderr and "1 not audited" in done.stdout
    strict = subprocess.run([sys.executable, str(ROOT / "tools" / "audit.py"), "--report",
                             str(tmp_path / "report.json"), "--waivers", str(tmp_path / "waivers"), "--strict"],
                            capture_output=True, text=True)
    assert strict.returncode == 1
