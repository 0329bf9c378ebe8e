"""What the service knows: the model it serves and the actors it resolves."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from service.model_store import model_store
from stancemap.errors import DataError

bp = Blueprint("info", __name__, url_prefix="/v1")
_DIGITS = re.compile(r"[0-9]{1,4}")


@bp.get("/model")
def model() -> Response:
    """Describe the model being served, its cross-validated metrics, and the last refused reload, if any."""
    store = model_store()
    current = store.get()
    manifest = current.manifest
    return jsonify({
        "version": current.version, "created_at": manifest["created_at"], "labels": manifest["labels"],
        "training_data": manifest["training_data"], "parameters": manifest["parameters"],
        "libraries": manifest["libraries"], "metrics": current.metrics, "refused": store.refused,
    })


@bp.get("/actors")
def actors() -> Response:
    """List the gazetteer's actors, filtered by ``q`` (any name, case- and accent-insensitive)."""
    query = request.args.get("q", "")
    given = request.args.get("limit", "50")
    # ASCII digits only: int() would also take " 5", "1_0" and "٣", which are not the integer the document promises.
    limit = int(given) if _DIGITS.fullmatch(given) else 0
    if not 1 <= limit <= 1000:
        raise DataError("limit must be a whole number from 1 to 1000", [{"field": "limit", "message": "out of range"}])
    hits = model_store().get().gazetteer.search(query)
    return jsonify({"count": len(hits), "actors": [actor.to_dict() for actor in hits[:limit]]})
