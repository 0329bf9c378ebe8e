"""The Stancemap web service: ``gunicorn 'service:create_app()'``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "MODEL_DIR": "models",  # a models folder (its `current` version is served) or one version folder
    "RELOAD_INTERVAL": 2.0,  # seconds between checks of models/current in each worker
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # request body bytes (an article of 200,000 characters fits)
    "MAX_BATCH_ITEMS": 256,
    "MAX_TEXT_CHARS": 10_000,
    "MAX_ACTOR_CHARS": 200,
    "MAX_ARTICLE_CHARS": 200_000,
    # Characters of sentences the model may read for one article (each actor pair reads its sentence): a few
    # seconds of work; a normal 200,000-character article reads about a million.
    "MAX_ARTICLE_SCORED_CHARS": 3_000_000,
    "ADMIN_TOKEN": None,  # set it to enable POST /v1/admin/reload
    "LOG_LEVEL": "INFO",
    "ACCESS_LOG": True,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then ``STANCEMAP_*`` environment variables, then ``config``."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("STANCEMAP")
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from service import admin, errors, info, logs, metrics, openapi, predict, probes, web
    from service.model_store import ModelStore

    logs.init_app(app)
    errors.init_app(app)
    web.init_app(app)
    store = ModelStore(app)
    app.before_request(store.refresh)
    for blueprint in (predict.bp, info.bp, probes.bp, metrics.bp, openapi.bp, web.bp):
        app.register_blueprint(blueprint)
    if app.config["ADMIN_TOKEN"]:
        app.register_blueprint(admin.bp)
    return app
