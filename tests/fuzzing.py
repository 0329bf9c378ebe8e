"""Fuzz a running service from its own ``/openapi.json`` with the schemathesis command line, and check answers.

Shared by ``tests/test_fuzz.py`` (a bounded run in CI) and ``bench/fuzz.py`` (a long run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from service.openapi import document

ROOT = Path(__file__).resolve().parent.parent
# schemathesis loads this module before a run: it registers our own check, that every error is problem+json.
HOOKS = "tests.fuzz_checks"
# 413 is a refusal like 400: MAX_CONTENT_LENGTH counts the body's bytes, which no JSON schema can state (one
# character is 1 to 12 bytes of JSON), so a long text may be refused as too large whether or not it is valid.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 413, 429, "5xx"]
"""


def schema_for(name: str) -> dict[str, Any]:
    """Return a JSON schema for one component, resolving references inside the OpenAPI document."""
    return {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}


def problem_errors(status: int, content_type: str, body: bytes) -> list[str]:
    """Return what is wrong with an error response as RFC 9457 problem+json (empty when it is right)."""
    if content_type.split(";")[0].strip() != "application/problem+json":
        return [f"{status} answered as {content_type!r}, not application/problem+json"]
    try:
        problem = json.loads(body)
    except ValueError:
        return [f"{status} problem body is not JSON: {body[:80]!r}"]
    errors = [f"{status} problem: {error.message}"
              for error in jsonschema.Draft202012Validator(schema_for("Problem")).iter_errors(problem)]
    if isinstance(problem, dict) and problem.get("status") != status:
        errors.append(f"problem status {problem.get('status')!r} differs from the HTTP status {status}")
    return errors


@dataclass
class FuzzResult:
    """What one schemathesis run sent and found."""

    returncode: int
    output: str
    requests: Counter[str] = field(default_factory=Counter)  # "METHOD /path" -> requests sent
    statuses: Counter[int] = field(default_factory=Counter)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # ("METHOD /path", status) -> count
    failures: int = 0
    generated: int = 0

    @property
    def total(self) -> int:
        """Every request recorded, over all routes."""
        return sum(self.requests.values())


def run_schemathesis(base_url: str, workdir: Path, *, token: str | None, max_examples: int,
                     seed: int | None = None, workers: int = 1, include_path: str | None = None) -> FuzzResult:
    """Run ``st run`` on ``base_url/openapi.json`` with every check and our problem+json check.

    ``token`` is sent as the admin bearer token on every request (schemathesis' ``ignored_auth`` check then also
    sends the admin route's requests without it and with a wrong one). Returns the counts read from its HAR report.
    """
    reports = workdir / f"reports-{os.getpid()}-{len(list(workdir.glob('reports-*')))}"
    command = [str(Path(sys.executable).parent / "st"), "run", f"{base_url}/openapi.json", "--checks", "all",
               "--max-examples", str(max_examples), "--workers", str(workers), "--continue-on-failure",
               "--no-color", "--report", "har,junit", "--report-dir", str(reports), "--request-timeout", "30",
               "--suppress-health-check", "all"]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    if seed is not None:
        command += ["--seed", str(seed)]
    if include_path:
        command += ["--include-path", include_path]
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command[1:1] = ["--config-file", str(config)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    result = FuzzResult(done.returncode, done.stdout + done.stderr)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    for har in reports.glob("har-*.json"):
        for entry in json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]:
            url = entry["request"]["url"].removeprefix(origin).split("?")[0]
            route, status = f"{entry['request']['method']} {url}", entry["response"]["status"]
            result.requests[route] += 1
            result.statuses[status] += 1
            result.answers[route, status] += 1
    for junit in reports.glob("junit-*.xml"):
        suite = ElementTree.parse(junit).getroot()
        result.failures += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    for line in result.output.splitlines():
        if line.strip().endswith("generated") or " generated," in line:
            result.generated = int(line.split()[0])
    return result
