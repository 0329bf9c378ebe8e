"""Liveness and readiness probes, outside the versioned API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from service.errors import problem
from service.model_store import model_store

bp = Blueprint("probes", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer while the process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Answer 200 once a model is loaded and has answered its warm-up prediction, 503 before."""
    store = model_store()
    if store.model is None:
        return problem(503, "Service Unavailable", "no model is loaded yet")
    return jsonify({"status": "ready", "model_version": store.model.version})
