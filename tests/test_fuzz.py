"""Service tier: generated requests from our own /openapi.json against a real gunicorn (bench/fuzz.py runs more)."""

from __future__ import annotations

import pytest

from service.openapi import document
from tests.conftest import LIVE_ADMIN_TOKEN
from tests.fuzzing import problem_errors, run_schemathesis

pytestmark = pytest.mark.model

# Fixed, so that a failure in CI replays with the same requests (`st run ... --seed`); bench/fuzz.py draws anew.
SEED = 20261128


def test_the_problem_check_catches_what_it_should():
    assert problem_errors(400, "application/problem+json", b'{"type": "t", "title": "x", "status": 400, '
                                                           b'"detail": "d"}') == []
    assert problem_errors(400, "application/json", b"{}")
    assert problem_errors(400, "application/problem+json", b'{"title": "x"}')
    assert problem_errors(413, "application/problem+json", b'{"type": "t", "title": "x", "status": 400, '
                                                           b'"detail": "d"}')


def test_generated_requests_on_every_route_find_nothing(live, tmp_path):
    # One schemathesis worker: with two threads, hypothesis' concurrent ast.parse hit a CPython 3.11 bug once in CI
    # ("SystemError: AST constructor recursion depth mismatch"), a fuzzer crash rather than a finding.
    result = run_schemathesis(live.url, tmp_path, token=LIVE_ADMIN_TOKEN, max_examples=120, seed=SEED, workers=1)
    assert result.returncode == 0 and result.failures == 0, result.output[-20000:]
    # schemathesis does not test the document's own path; every other route must have been exercised.
    routes = {f"{method.upper()} {path}" for path, item in document(admin=True)["paths"].items()
              for method in item if path != "/openapi.json"}
    assert routes <= set(result.requests), routes - set(result.requests)
    assert result.total >= 500, result.requests
    assert not [status for status in result.statuses if status >= 500], result.statuses
    assert result.statuses[200] and result.statuses[400] and result.statuses[405]


def test_admin_route_fuzzed_without_a_token_only_refuses(live, tmp_path):
    result = run_schemathesis(live.url, tmp_path, token=None, max_examples=20, seed=SEED,
                              include_path="/v1/admin/reload")
    assert result.returncode == 0 and result.failures == 0, result.output[-20000:]
    assert result.requests["POST /v1/admin/reload"] > 0
    # Every POST is refused; other methods get 405, and OPTIONS its automatic 200 with the Allow header.
    assert {status for route, status in result.answers if route.startswith("POST")} == {401}, result.answers
    assert {status for route, status in result.answers if not route.startswith(("POST", "OPTIONS"))} <= {405}
