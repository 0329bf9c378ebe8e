"""The prediction routes: one statement or a batch, through the model runtime."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from service.metrics import BATCH_ITEMS, PREDICTIONS
from service.model_store import model_store
from service.parsing import Dyad, json_body, parse_stance_request

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
    BATCH_ITEMS.observe(len(dyads))
    for result in results:
        PREDICTIONS.labels(task="stance", label=result["stance"]["label"]).inc()
        if result["sentiment"]:
            PREDICTIONS.labels(task="sentiment", label=result["sentiment"]["label"]).inc()
    return results, model.version


@bp.post("/stance")
def stance() -> Response:
    """Classify one statement's source-to-target stance, or a batch of them (``{"items": [...]}``)."""
    dyads, batch = parse_stance_request(json_body(request), limits())
    results, version = predict(dyads)
    body = {"results": results, "model_version": version} if batch else {**results[0], "model_version": version}
    return jsonify(body)
