"""The gunicorn worker: gevent, so that a slow client waits on its own socket instead of holding a whole worker.

A sync worker reads a request in the worker's only thread: two clients that send one byte a second stall both
workers of a two-core server until gunicorn's timeout kills them, and then again. Here each connection is a
greenlet; a slow one costs a socket and a few kilobytes while the other requests are answered. Prediction is
pure CPU and never yields, so, with ``keepalive = 0`` (one request per connection, as a sync worker does), the
two workers share the load the way sync workers do: a busy worker does not accept.

Each connection has ``timeout`` seconds in all to send its request and take the response; one that does not
(one byte a second, a reader that stops reading) is answered 408 if the socket still takes it, and closed.
"""

from __future__ import annotations

import contextlib
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventWorker

TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class TooSlow(gevent.Timeout):
    """A connection used up its time."""


class StancemapWorker(GeventWorker):
    """A gevent worker that gives every connection a deadline."""

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve one connection, cut off after ``timeout`` seconds."""
        with TooSlow(self.cfg.timeout, False):
            super().handle(listener, client, addr)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Answer a connection that ran out of time with 408 and a one-line log, not a 500 and a traceback."""
        if not isinstance(exc, TooSlow):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("closed a connection from %s that took more than %s s", addr[0] if addr else "?",
                         self.cfg.timeout)
        with contextlib.suppress(OSError):
            client.settimeout(0)  # a client that stopped reading gets no second wait
            client.sendall(TOO_SLOW)
