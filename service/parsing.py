"""Read and check request bodies, naming every bad field."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from stancemap.article import SPLITTER_LANGUAGES
from stancemap.errors import DataError
from stancemap.text import UNPAIRED_SURROGATE, encodable

Dyad = tuple[str, str, str]

# The characters a text may not consist of only: NUL and Python's whitespace (str.isspace). Written out rather
# than as \s because JSON Schema patterns follow ECMA-262, whose \s differs from Python's (it lacks U+001C-U+001F
# and U+0085 and has U+FEFF); openapi.py builds the same rule into the document's `pattern` from this class.
BLANK = ("\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
         "\\u205f\\u3000")
# Some character other than NUL or whitespace, and no NUL anywhere: the rule _string applies.
TEXT_PATTERN = f"^[^\\u0000]*[^{BLANK}][^\\u0000]*$"
_TEXT = re.compile(TEXT_PATTERN)


def json_body(request: Request) -> Any:
    """Return the request's JSON body, or raise a 400/413/415 problem that says what is wrong with it."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # We do not decompress (a small gzip body can inflate to gigabytes): say so, rather than read the
        # compressed bytes as malformed JSON or, worse, read an uncompressed body under a false label.
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not accepted; send the JSON uncompressed",
                                   [{"field": "Content-Encoding", "message": "only identity is accepted"}])
    if not request.is_json:
        raise UnsupportedMediaType("the body must be JSON, sent with Content-Type: application/json")
    data = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(data) >= limit:
        # Werkzeug stops reading a chunked body at the limit without an error; the cut-off JSON would then be
        # reported as malformed, so name the real problem.
        raise RequestEntityTooLarge()
    try:
        body = json.loads(data)
    except RecursionError as exc:
        raise DataError("the body's JSON is nested too deeply",
                        [{"field": "body", "message": "nested too deeply"}]) from exc
    except ValueError as exc:  # malformed JSON, undecodable bytes, integers of more than 4,300 digits
        raise DataError("the body is not valid JSON (UTF-8)",
                        [{"field": "body", "message": "malformed JSON"}]) from exc
    if not isinstance(body, dict):
        raise DataError("the body must be a JSON object", [{"field": "body", "message": "must be an object"}])
    return body


class UnsupportedMediaType(DataError):
    """The body was not sent as JSON."""

    status = 415
    title = "Unsupported Media Type"


def _string(value: Any, field: str, limit: int, errors: list[dict[str, Any]]) -> str | None:
    if not isinstance(value, str):
        message = "is required" if value is None else f"must be a string, not {type(value).__name__}"
        errors.append({"field": field, "message": message})
    elif len(value) > limit:
        errors.append({"field": field, "message": f"is {len(value)} characters long; the limit is {limit}"})
    elif "\x00" in value:
        errors.append({"field": field, "message": "must not contain NUL characters"})
    elif not _TEXT.match(value):
        errors.append({"field": field, "message": "must not be empty"})
    elif not encodable(value):
        errors.append({"field": field, "message": UNPAIRED_SURROGATE})
    else:
        return value
    return None


def parse_dyad(item: Any, prefix: str, limits: dict[str, int], errors: list[dict[str, Any]]) -> Dyad | None:
    """Check one ``{"text", "source", "target"}`` object, appending a problem per bad field."""
    if not isinstance(item, dict):
        errors.append({"field": prefix.rstrip(".") or "body", "message": "must be an object"})
        return None
    text = _string(item.get("text"), prefix + "text", limits["text"], errors)
    source = _string(item.get("source"), prefix + "source", limits["actor"], errors)
    target = _string(item.get("target"), prefix + "target", limits["actor"], errors)
    if text is None or source is None or target is None:
        return None
    return text, source, target


def parse_stance_request(body: dict[str, Any], limits: dict[str, int]) -> tuple[list[Dyad], bool]:
    """Return the dyads a ``/v1/stance`` body asks about, and whether it was a batch.

    A batch with any bad item is refused whole, naming each bad item's index and field.
    """
    errors: list[dict[str, Any]] = []
    if "items" not in body:
        dyad = parse_dyad(body, "", limits, errors)
        if errors:
            raise DataError("the statement is invalid", errors)
        assert dyad is not None
        return [dyad], False
    items = body["items"]
    if not isinstance(items, list) or not items:
        raise DataError("items must be a non-empty list", [{"field": "items", "message": "must be a non-empty list"}])
    if len(items) > limits["batch"]:
        raise DataError(f"a batch holds at most {limits['batch']} items; this one has {len(items)}",
                        [{"field": "items", "message": f"more than {limits['batch']} items"}])
    dyads = [parse_dyad(item, f"items[{index}].", limits, errors) for index, item in enumerate(items)]
    if errors:
        bad = sorted({int(e["field"].split("[")[1].split("]")[0]) for e in errors})
        raise DataError(f"{len(bad)} of {len(items)} items are invalid (indices {', '.join(map(str, bad))}); "
                        "nothing was predicted", errors)
    return [d for d in dyads if d is not None], True


def parse_analyze_request(body: dict[str, Any], max_chars: int) -> dict[str, Any]:
    """Return the keyword arguments of :func:`stancemap.article.analyze` a ``/v1/analyze`` body asks for."""
    errors: list[dict[str, Any]] = []
    text = _string(body.get("text"), "text", max_chars, errors)
    options: dict[str, Any] = {}
    lang = body.get("lang")
    if lang is not None:
        if lang not in SPLITTER_LANGUAGES:
            errors.append({"field": "lang", "message": f"must be one of {', '.join(SPLITTER_LANGUAGES)}"})
        options["lang"] = lang
    confidence = body.get("min_confidence", 0.0)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        errors.append({"field": "min_confidence", "message": "must be a number from 0 to 1"})
    options["min_confidence"] = confidence
    neutral = body.get("include_neutral", False)
    if not isinstance(neutral, bool):
        errors.append({"field": "include_neutral", "message": "must be true or false"})
    options["include_neutral"] = neutral
    if errors:
        raise DataError("the article request is invalid", errors)
    return {"text": text, **options}
