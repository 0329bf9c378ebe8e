"""``POST /v1/admin/reload``: registered only when an admin token is configured."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from service.errors import problem
from service.model_store import model_store

bp = Blueprint("admin", __name__, url_prefix="/v1/admin")


@bp.post("/reload")
def reload() -> Response:
    """Check ``models/current`` now instead of at the next interval."""
    expected = f"Bearer {current_app.config['ADMIN_TOKEN']}".encode()
    given = request.headers.get("Authorization", "").encode()
    # compare_digest takes the same time wherever the first difference is, so timing tells nothing of the token.
    if not hmac.compare_digest(given, expected):
        response = problem(401, "Unauthorized", "a valid bearer token is required")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    store = model_store()
    store.refresh(force=True)
    return jsonify({"model_version": store.get().version, "refused": store.refused})
