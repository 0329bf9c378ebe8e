"""Service tier: hand-written hostile requests against a real gunicorn: each gets a clear answer, never a 5xx."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import jsonschema
import pytest
import requests

from service import DEFAULTS
from tests.fuzzing import problem_errors, schema_for

pytestmark = pytest.mark.model

STATEMENT = {"text": "L'Otan accuse la Russie de violer les sanctions.", "source": "Otan", "target": "Russie"}
JSON = {"Content-Type": "application/json"}
MAX_ITEMS = DEFAULTS["MAX_BATCH_ITEMS"]


def problem(response: requests.Response, status: int, field: str | None = None) -> dict:
    """Check a problem+json answer with this status (and naming this field), and return it."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert not problem_errors(response.status_code, response.headers["Content-Type"], response.content)
    body = response.json()
    if field:
        assert field in [error["field"] for error in body.get("errors", [])], body
    return body


def post(live, path: str, data: bytes | str | Iterator[bytes], headers: dict[str, str] | None = None):
    return requests.post(live.url + path, data=data, headers={**JSON, **(headers or {})}, timeout=60)


# (name, route, raw body, extra headers, status, field named in `errors`)
REFUSED = [
    ("invalid UTF-8", "/v1/stance", b'{"text": "\xff\xfe", "source": "a", "target": "b"}', {}, 400, "body"),
    ("raw NUL byte in the JSON", "/v1/stance", b'{"text": "a\x00b", "source": "a", "target": "b"}', {}, 400, "body"),
    ("escaped NUL in a field", "/v1/stance", json.dumps({**STATEMENT, "text": "Otan\u0000Russie"}), {}, 400, "text"),
    ("lone surrogate escape", "/v1/stance", b'{"text": "\\ud800 Otan Russie", "source": "Otan", "target": "Russie"}',
     {}, 400, "text"),
    ("lone surrogate in an article", "/v1/analyze", b'{"text": "Otan \\udfff Russie."}', {}, 400, "text"),
    ("10 MB body", "/v1/stance", b'{"text": "' + b"x" * (10 * 1024 * 1024) + b'"}', {}, 413, None),
    ("deeply nested array", "/v1/stance", "[" * 100_000 + "]" * 100_000, {}, 400, "body"),
    ("deeply nested object", "/v1/analyze", '{"text": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001, {}, 400, "body"),
    ("numbers where strings go", "/v1/stance", json.dumps({"text": 1, "source": 2.5, "target": True}), {}, 400,
     "source"),
    ("empty strings", "/v1/stance", json.dumps({"text": "", "source": "", "target": ""}), {}, 400, "target"),
    ("whitespace only, Python's idea of it", "/v1/stance", json.dumps({**STATEMENT, "source": "\x1c\x85 "}), {}, 400,
     "source"),
    ("100,000-character word", "/v1/stance", json.dumps({**STATEMENT, "text": "a" * 100_000}), {}, 400, "text"),
    ("a batch of max+1 items", "/v1/stance", json.dumps({"items": [STATEMENT] * (MAX_ITEMS + 1)}), {}, 400, "items"),
    ("an integer of 5,000 digits", "/v1/analyze", '{"text": "Otan", "min_confidence": ' + "9" * 5000 + "}", {}, 400,
     "body"),
    ("NaN confidence", "/v1/analyze", '{"text": "Otan et la Russie.", "min_confidence": NaN}', {}, 400,
     "min_confidence"),
    ("a list for lang", "/v1/analyze", json.dumps({"text": "Otan et la Russie.", "lang": ["fr"]}), {}, 400, "lang"),
    ("null body", "/v1/stance", "null", {}, 400, "body"),
    ("text/plain", "/v1/stance", json.dumps(STATEMENT), {"Content-Type": "text/plain"}, 415, None),
    ("no Content-Type", "/v1/stance", json.dumps(STATEMENT).encode(), {"Content-Type": ""}, 415, None),
    ("form encoded", "/v1/stance", "text=a&source=b&target=c", {"Content-Type": "application/x-www-form-urlencoded"},
     415, None),
    ("gzip body", "/v1/stance", gzip.compress(json.dumps(STATEMENT).encode()), {"Content-Encoding": "gzip"}, 415,
     "Content-Encoding"),
    # 50 MB of JSON in 51 kB: refused unread, since we never decompress.
    ("gzip bomb", "/v1/analyze", gzip.compress(b'{"text": "' + b"a" * (50 * 1024 * 1024) + b'"}'),
     {"Content-Encoding": "gzip"}, 415, "Content-Encoding"),
    ("plain body labelled br", "/v1/stance", json.dumps(STATEMENT), {"Content-Encoding": "br"}, 415,
     "Content-Encoding"),
]


@pytest.mark.parametrize(("route", "body", "headers", "status", "field"), [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_hostile_body_is_refused_clearly(live, route, body, headers, status, field):
    problem(post(live, route, body, headers), status, field)


def test_chunked_body_over_the_limit_is_413_not_malformed(live):
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(30):
            yield b"x" * 100_000
        yield b'"}'

    problem(post(live, "/v1/stance", chunks()), 413)
    # A small chunked body is read whole and answered.
    assert post(live, "/v1/stance", iter([json.dumps(STATEMENT).encode()])).status_code == 200


@pytest.mark.parametrize(("name", "statement"), [
    ("right-to-left override and Arabic", {**STATEMENT, "text": "\u202eأدان حلف الناتو روسيا\u202c Otan, Russie."}),
    ("combining marks on every letter", {**STATEMENT, "text": "".join(c + "\u0301\u0308" for c in STATEMENT["text"])}),
    ("5,000 combining marks", {**STATEMENT, "text": "Otan a" + "\u0301" * 5000 + " la Russie."}),
    ("an actor made of combining marks", {**STATEMENT, "source": "\u0301\u0302"}),
    ("a longest word at the limit", {**STATEMENT, "text": "Otan " + "a" * 9_980 + " Russie"}),
    ("identity encoding", STATEMENT),
])
def test_odd_but_valid_text_is_answered(live, name, statement):
    headers = {"Content-Encoding": "identity"} if name == "identity encoding" else {}
    response = post(live, "/v1/stance", json.dumps(statement), headers)
    assert response.status_code == 200, response.text[:300]
    jsonschema.validate(response.json(), schema_for("StanceResponse"))


def test_a_full_batch_and_a_long_odd_article_are_answered(live):
    response = post(live, "/v1/stance", json.dumps({"items": [STATEMENT] * MAX_ITEMS}))
    assert response.status_code == 200
    jsonschema.validate(response.json(), schema_for("BatchResponse"))
    assert len(response.json()["results"]) == MAX_ITEMS
    # 100,000 sentence ends: pysbd's own span search took minutes on it, past gunicorn's worker timeout.
    response = post(live, "/v1/analyze", json.dumps({"text": ". " * 100_000}))
    assert response.status_code == 200
    assert len(response.json()["sentences"]) > 1000
    article = "Otan " + "a" * 100_000 + " Russie. \u202eروسيا\u202c Moscou " + "\u0301" * 1000 + " Kremlin."
    response = post(live, "/v1/analyze", json.dumps({"text": article, "lang": None}))
    assert response.status_code == 200
    jsonschema.validate(response.json(), schema_for("Analysis"))


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
