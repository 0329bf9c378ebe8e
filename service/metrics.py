"""Prometheus metrics, correct across gunicorn workers (prometheus-client multiprocess mode)."""

from __future__ import annotations

import os

from flask import Blueprint, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("stancemap_requests_total", "HTTP requests by route, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("stancemap_request_duration_seconds", "HTTP request latency by route", ["route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PREDICTIONS = Counter("stancemap_predictions_total", "Predicted labels by task", ["task", "label"])
BATCH_ITEMS = Histogram("stancemap_batch_items", "Items per prediction request",
                        buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
# Info metrics do not work in multiprocess mode: a gauge set to 1 for the version a live worker serves does.
MODEL_INFO = Gauge("stancemap_model_info", "The model version served (1) by at least one live worker",
                   ["version"], multiprocess_mode="livemax")

bp = Blueprint("metrics", __name__)


def set_model_version(old: str | None, new: str) -> None:
    """Record that this process now serves ``new`` instead of ``old``."""
    if old and old != new:
        MODEL_INFO.labels(version=old).set(0)
    MODEL_INFO.labels(version=new).set(1)


@bp.get("/metrics")
def metrics() -> Response:
    """Expose the metrics in Prometheus text format, merged over every worker when running under gunicorn."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
