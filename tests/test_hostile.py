"""Service tier: hand-written hostile requests against a real gunicorn: each gets a clear answer, never a 5xx."""

from __future__ import annotations

import jsonschema
import pytest
import requests

from tests.fuzzing import problem_errors, schema_for

pytestmark = pytest.mark.model


def problem(response: requests.Response, status: int, field: str | None = None) -> dict:
    """Check a problem+json answer with this status (and naming this field), and return it."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert not problem_errors(response.status_code, response.headers["Content-Type"], response.content)
    body = response.json()
    if field:
        assert field in [error["field"] for error in body.get("errors", [])], body
    return body


@pytest.mark.parametrize(("query", "status"), [("limit=%D9%A3", 400), ("limit=1_0", 400), ("limit=+5", 400),
                                               ("limit=" + "9" * 5000, 400), ("q=%00", 200), ("q=%ff%fe", 200),
                                               ("q=" + "a" * 6000, 200), ("limit=1000", 200)])
def test_actor_search_parameters(live, query, status):
    response = requests.get(f"{live.url}/v1/actors?{query}", timeout=30)
    if status == 200:
        assert response.status_code == 200
        jsonschema.validate(response.json(), schema_for("Actors"))
    else:
        problem(response, status, "limit")
