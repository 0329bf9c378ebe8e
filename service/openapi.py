"""``GET /openapi.json``: the OpenAPI 3.1 description of the API (tests check it against the routes)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from service.parsing import TEXT_PATTERN
from stancemap import __version__

bp = Blueprint("openapi", __name__)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


_SCORES = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}}
_ERRORS = {"400": _problem("Invalid input: `errors` names each bad field"),
           "413": _problem("Body too large"), "415": _problem("Body not sent as JSON"),
           "503": _problem("No model loaded yet")}

SCHEMAS: dict[str, Any] = {
    "Statement": {
        "type": "object", "required": ["text", "source", "target"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN, "description": "The statement"},
            "source": {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN,
                       "description": "Who takes the stance: a form in the text or any id, name or alias"},
            "target": {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN, "description": "Toward whom"},
        },
    },
    "Batch": {"type": "object", "required": ["items"],
              "properties": {"items": {"type": "array", "minItems": 1, "items": _ref("Statement")}}},
    "Label": {"type": "object", "required": ["label", "scores"],
              "properties": {"label": {"type": "string"}, "scores": _SCORES}},
    "ActorMatch": {
        "type": "object", "required": ["actor", "known", "found", "mentions"],
        "properties": {
            "actor": {"type": "string", "description": "The gazetteer id, or the name as given when unknown"},
            "known": {"type": "boolean"}, "found": {"type": "boolean"},
            "mentions": {"type": "array", "items": {"type": "array", "items": {"type": "integer"},
                                                    "minItems": 2, "maxItems": 2}},
        },
    },
    "Evidence": {"type": "object", "required": ["feature", "weight"],
                 "properties": {"feature": {"type": "string"}, "weight": {"type": "number"}}},
    "Prediction": {
        "type": "object", "required": ["stance", "sentiment", "source", "target", "evidence"],
        "properties": {
            "stance": {**_ref("Label"), "description": "support, oppose or neutral"},
            "sentiment": {"oneOf": [_ref("Label"), {"type": "null"}]},
            "source": _ref("ActorMatch"), "target": _ref("ActorMatch"),
            "evidence": {"type": "array", "items": _ref("Evidence")},
        },
    },
    "StanceResponse": {"allOf": [_ref("Prediction"), {"type": "object", "required": ["model_version"],
                                                      "properties": {"model_version": {"type": "string"}}}]},
    "BatchResponse": {"type": "object", "required": ["results", "model_version"],
                      "properties": {"results": {"type": "array", "items": _ref("Prediction")},
                                     "model_version": {"type": "string"}}},
    "Article": {
        "type": "object", "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN,
                     "description": "The article, up to MAX_ARTICLE_CHARS"},
            "lang": {"enum": ["en", "fr", "de", "es", None],
                     "description": "Guessed from the text when absent or null"},
            "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
            "include_neutral": {"type": "boolean", "default": False},
        },
    },
    "Analysis": {
        "type": "object", "required": ["lang", "sentences", "dyads", "graph", "model_version"],
        "properties": {
            "lang": {"type": "string"},
            "sentences": {"type": "array", "items": {
                "type": "object", "required": ["index", "start", "end", "actors"],
                "properties": {"index": {"type": "integer"}, "start": {"type": "integer"},
                               "end": {"type": "integer"}, "actors": {"type": "array", "items": {"type": "string"}}}}},
            "dyads": {"type": "array", "items": {
                "type": "object",
                "required": ["sentence", "source", "target", "stance", "sentiment", "evidence", "kept"],
                "properties": {"sentence": {"type": "integer"}, "source": {"type": "string"},
                               "target": {"type": "string"}, "stance": _ref("Label"),
                               "sentiment": {"oneOf": [_ref("Label"), {"type": "null"}]},
                               "evidence": {"type": "array", "items": _ref("Evidence")},
                               "kept": {"type": "boolean", "description": "false: below min_confidence"}}}},
            "graph": {"type": "object", "required": ["nodes", "edges"], "properties": {
                "nodes": {"type": "array", "items": {
                    "type": "object", "required": ["id", "name", "kind", "mentions", "count"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
                                   "mentions": {"type": "array", "items": {"type": "string"}},
                                   "count": {"type": "integer"}}}},
                "edges": {"type": "array", "items": {
                    "type": "object", "required": ["source", "target", "stance", "weight", "count", "sentences"],
                    "properties": {"source": {"type": "string"}, "target": {"type": "string"},
                                   "stance": {"enum": ["support", "oppose", "neutral"]},
                                   "weight": {"type": "number"}, "count": {"type": "integer"},
                                   "sentences": {"type": "array", "items": {"type": "integer"}}}}}}},
            "model_version": {"type": "string"},
        },
    },
    "ModelInfo": {
        "type": "object",
        "required": ["version", "created_at", "labels", "training_data", "metrics", "refused"],
        "properties": {
            "version": {"type": "string"}, "created_at": {"type": "string"},
            "labels": {"type": "object"}, "training_data": {"type": "object"}, "parameters": {"type": "object"},
            "libraries": {"type": "object"}, "metrics": {"type": "object"},
            "refused": {"type": ["object", "null"], "description": "The last version refused at reload, if any"},
        },
    },
    "Actor": {"type": "object", "required": ["id", "kind", "name", "names"],
              "properties": {"id": {"type": "string"}, "kind": {"enum": ["country", "organization", "group"]},
                             "name": {"type": "string"},
                             "names": {"type": "object", "additionalProperties": {
                                 "type": "array", "items": {"type": "string"}}}}},
    "Actors": {"type": "object", "required": ["count", "actors"],
               "properties": {"count": {"type": "integer"}, "actors": {"type": "array", "items": _ref("Actor")}}},
    "Status": {"type": "object", "required": ["status"],
               "properties": {"status": {"type": "string"}, "model_version": {"type": "string"}}},
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                                                  "properties": {"field": {"type": "string"},
                                                                 "message": {"type": "string"}}}},
        },
    },
}

PATHS: dict[str, Any] = {
    "/v1/stance": {"post": {
        "summary": "Stance of a source toward a target in one statement, or in a batch",
        "requestBody": {"required": True, "content": {"application/json": {
            # A body with `items` is a batch, whatever else it holds: the single form must not have it.
            "schema": {"oneOf": [{"allOf": [_ref("Statement"), {"not": {"required": ["items"]}}]},
                                 _ref("Batch")]}}}},
        "responses": {"200": _json({"oneOf": [_ref("StanceResponse"), _ref("BatchResponse")]},
                                   "One prediction, or `results` in input order"), **_ERRORS},
    }},
    "/v1/analyze": {"post": {
        "summary": "An article's sentences, every ordered actor pair per sentence, and the stance graph",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Article")}}},
        "responses": {"200": _json(_ref("Analysis"), "Sentences, dyads and graph"), **_ERRORS,
                      "422": _problem("The article's actor pairs would read more than MAX_ARTICLE_SCORED_CHARS "
                                      "characters of sentences: split it")},
    }},
    "/": {"get": {"summary": "The web page that draws an article's stance graph", "responses": {"200": {
        "description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
    "/v1/model": {"get": {"summary": "The model being served", "responses": {
        "200": _json(_ref("ModelInfo"), "Version, labels, training data, cross-validated metrics"),
        "503": _ERRORS["503"]}}},
    "/v1/actors": {"get": {
        "summary": "Search the actor gazetteer",
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Part of any name"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
        ],
        "responses": {"200": _json(_ref("Actors"), "Matching actors"), "400": _ERRORS["400"],
                      "503": _ERRORS["503"]}}},
    "/healthz": {"get": {"summary": "Liveness", "responses": {"200": _json(_ref("Status"), "Alive")}}},
    "/readyz": {"get": {"summary": "Readiness", "responses": {
        "200": _json(_ref("Status"), "A model is loaded and answered a warm-up prediction"),
        "503": _ERRORS["503"]}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {
        "description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {
        "200": _json({"type": "object"}, "OpenAPI 3.1")}}},
}

ADMIN_PATHS: dict[str, Any] = {
    "/v1/admin/reload": {"post": {
        "summary": "Load the version models/current points at now (only when an admin token is configured)",
        "security": [{"bearer": []}],
        "responses": {"200": _json({"type": "object"}, "The version now served"),
                      "401": _problem("Missing or wrong token")}}},
}


def _with_limits(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the schemas with the configured size limits, so the document refuses what the service refuses."""
    schemas = copy.deepcopy(SCHEMAS)
    statement = schemas["Statement"]["properties"]
    statement["text"]["maxLength"] = config["MAX_TEXT_CHARS"]
    statement["source"]["maxLength"] = statement["target"]["maxLength"] = config["MAX_ACTOR_CHARS"]
    schemas["Batch"]["properties"]["items"]["maxItems"] = config["MAX_BATCH_ITEMS"]
    schemas["Article"]["properties"]["text"]["maxLength"] = config["MAX_ARTICLE_CHARS"]
    return schemas


def document(*, admin: bool = False, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the OpenAPI document, with the admin route when it is enabled and the limits of ``config``.

    Without ``config``, the limits are the defaults of :data:`service.DEFAULTS`.
    """
    from service import DEFAULTS

    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Stancemap", "version": __version__,
                 "description": "Stance and sentiment of who stands where toward whom in news text. "
                                "Every error is application/problem+json (RFC 9457)."},
        "paths": {**PATHS, **(ADMIN_PATHS if admin else {})},
        "components": {"schemas": _with_limits(config or DEFAULTS)},
    }
    if admin:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return doc


@bp.get("/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI document."""
    config = current_app.config
    return jsonify(document(admin=bool(config["ADMIN_TOKEN"]), config=config))
