"""Gunicorn settings for Stancemap: ``gunicorn -c service/gunicorn.conf.py 'service:create_app()'``.

Every setting can be overridden on the command line or with ``GUNICORN_CMD_ARGS``; ``stancemap-serve`` passes
``--bind`` and ``--workers`` from its options or ``PORT``/``STANCEMAP_HOST``/``STANCEMAP_WORKERS``.
"""

import gc
import os
import shutil
import tempfile

# prometheus-client picks its multiprocess mode when first imported, so the folder is made here, before the
# app (and the metrics module) is imported by the master. It starts empty: files left by an earlier run would
# add stale counts.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="stancemap-metrics-")
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

bind = f"{os.environ.get('STANCEMAP_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Two sync workers on two cores measured fastest; gthread and four workers were slower (see the performance issue).
workers = int(os.environ.get("STANCEMAP_WORKERS", "2"))
worker_class = "sync"
# Load the app (and the model) once in the master; workers share its memory pages after fork.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 2
limit_request_line = 8190
limit_request_fields = 100
accesslog = None  # the app logs every request itself, as one JSON line
errorlog = "-"
loglevel = os.environ.get("STANCEMAP_LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}


def pre_fork(server, worker):
    """Move the preloaded objects out of the collector's reach, so workers keep sharing their pages."""
    gc.freeze()


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the merged metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
