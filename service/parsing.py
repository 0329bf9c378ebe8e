"""Read and check request bodies, naming every bad field."""

from __future__ import annotations

from typing import Any

from flask import Request

from stancemap.article import SPLITTER_LANGUAGES
from stancemap.errors import DataError

Dyad = tuple[str, str, str]


def json_body(request: Request) -> Any:
    """Return the request's JSON body, or raise a 400/415 problem that says what is wrong with it."""
    if not request.is_json:
        raise UnsupportedMediaType("the body must be JSON, sent with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise DataError("the body is not valid JSON (UTF-8)", [{"field": "body", "message": "malformed JSON"}])
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
    elif not value.strip():
        errors.append({"field": field, "message": "must not be empty"})
    elif len(value) > limit:
        errors.append({"field": field, "message": f"is {len(value)} characters long; the limit is {limit}"})
    elif "\x00" in value:
        errors.append({"field": field, "message": "must not contain NUL characters"})
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
