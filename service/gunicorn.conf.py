"""Gunicorn settings for Stancemap: ``gunicorn -c service/gunicorn.conf.py 'service:create_app()'``.

Every setting can be overridden on the command line or with ``GUNICORN_CMD_ARGS``; ``stancemap-serve`` passes
``--bind`` and ``--workers`` from its options or ``PORT``/``STANCEMAP_HOST``/``STANCEMAP_WORKERS``.
"""

import gc
import logging
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
# Two workers on two cores measured fastest; four workers and gthread were slower (see the performance issue).
workers = int(os.environ.get("STANCEMAP_WORKERS", "2"))
# gevent, so that a slow client holds one socket, not one worker; see service/worker.py for why and the limits.
worker_class = "service.worker.StancemapWorker"
worker_connections = 1000
# Load the app (and the model) once in the master; workers share its memory pages after fork.
preload_app = True
# A connection has this long to send its request and read the answer; a worker that does not report for this
# long (a request stuck in computation) is replaced.
timeout = 30
graceful_timeout = 20
# One request per connection: each new connection goes to whichever worker is free, as with sync workers.
# Kept-alive connections stay on the worker that accepted them, which measured half the throughput.
keepalive = 0
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Gunicorn's control socket (gunicornc) is an admin surface we do not use, in a path shared by every server of the
# same user.
control_socket_disable = True
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


def worker_exit(server, worker):
    """Flush and forget the log handlers at the end of a worker, before the interpreter tears gevent down.

    gevent makes logging's lock its own; a handler collected during interpreter shutdown would take that lock
    after gevent's module is gone and print a traceback to stderr on every worker exit. Gunicorn also calls this
    hook in the master when a worker has already vanished, hence the pid check.
    """
    if os.getpid() == worker.pid:
        logging.shutdown()
        logging._handlerList.clear()  # the weak references whose callbacks would run too late
