"""The prediction routes: one statement or a batch, through the model runtime."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from service.metrics import BATCH_ITEMS, PREDICTIONS
from service.model_store import model_store
from service.parsing import Dyad, json_body, parse_analyze_request, parse_stance_request
from stancemap.article import analyze as analyze_article

bp = Blueprint("predict", __name__, url_prefix="/v1")


def limits() -> dict[str, int]:
    """The request limits from the app's configuration."""
    config = current_app.config
    return {"text": config["MAX_TEXT_CHARS"], "actor": config["MAX_ACTOR_CHARS"], "batch": config["MAX_BATCH_ITEMS"]}


def predict(dyads: list[Dyad]) -> tuple[list[dict[str, Any]], str]:
    """Predict dyads with the current model, counting items and labels."""
    model = model_store().get()
    g.model_version = model.version
    results = model.predict(dyads)
    record(results)
    return results, model.version


def record(results: list[dict[str, Any]]) -> None:
    """Count one prediction request: its items and their labels."""
    BATCH_ITEMS.observe(len(results))
    # Counted first, then one increment per label: each increment writes the metrics file shared by the workers.
    counts = Counter((task, result[task]["label"]) for result in results for task in ("stance", "sentiment")
                     if result[task])
    for (task, label), count in counts.items():
        PREDICTIONS.labels(task=task, label=label).inc(count)


@bp.post("/stance")
def stance() -> Response:
    """Classify one statement's source-to-target stance, or a batch of them (``{"items": [...]}``)."""
    dyads, batch = parse_stance_request(json_body(request), limits())
    results, version = predict(dyads)
    body = {"results": results, "model_version": version} if batch else {**results[0], "model_version": version}
    return jsonify(body)


@bp.post("/analyze")
def analyze() -> Response:
    """Turn an article into sentences, scored dyads and a stance graph."""
    options = parse_analyze_request(json_body(request), current_app.config["MAX_ARTICLE_CHARS"])
    model = model_store().get()
    g.model_version = model.version
    result = analyze_article(model=model, max_scored_chars=current_app.config["MAX_ARTICLE_SCORED_CHARS"], **options)
    record(result["dyads"])
    return jsonify(result)
