"""The model as a Flask extension: loaded once per process, swapped when ``models/current`` moves."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from service.metrics import set_model_version
from stancemap.artifacts import CURRENT, MANIFEST
from stancemap.errors import ModelError, StancemapError
from stancemap.runtime import StanceModel

WARM_UP = ("La France soutient l'Allemagne.", "France", "Allemagne")


class NoModel(ModelError):
    """No model is loaded yet."""

    title = "Service Unavailable"


class ModelStore:
    """Hold the current model of one process and follow ``current`` to new versions.

    A worker checks the ``current`` link at most every ``RELOAD_INTERVAL`` seconds, before a request. A new version
    is loaded and must answer a warm-up prediction before it replaces the old one; a version that fails is refused,
    logged, reported by ``/v1/model``, and the old model keeps serving.
    """

    def __init__(self, app: Flask):
        self.path = Path(app.config["MODEL_DIR"])
        self.interval = float(app.config["RELOAD_INTERVAL"])
        self.model: StanceModel | None = None
        self.loaded_from: Path | None = None
        self.refused: dict[str, Any] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        app.extensions["stancemap"] = self
        # A model that is present but broken stops the start: serving nothing is better than serving silently
        # without the model an operator deployed. A missing model is waited for (503 until one lands).
        if self._target() is not None:
            self._load(self._target(), at_start=True)

    def _target(self) -> Path | None:
        if (self.path / MANIFEST).is_file():
            return self.path.resolve()
        current = self.path / CURRENT
        return Path(os.path.realpath(current)) if os.path.lexists(current) else None

    def _load(self, target: Path, *, at_start: bool = False) -> None:
        try:
            model = StanceModel.load(target)
            model.predict([WARM_UP])
        except StancemapError as exc:
            if at_start:
                raise
            self.refused = {"path": target.name, "error": exc.message,
                            "at": datetime.now(UTC).isoformat(timespec="seconds")}
            current_app.logger.error("refused model %s: %s", target.name, exc.message)
            return
        set_model_version(self.model.version if self.model else None, model.version)
        self.model, self.loaded_from, self.refused = model, target, None
        release_free_heap()
        if not at_start:
            current_app.logger.info("now serving model %s", model.version)

    def refresh(self, *, force: bool = False) -> None:
        """Load the version ``current`` points at if it changed since the last check."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return
        with self._lock:
            self._checked = now
            target = self._target()
            if target is None or target == self.loaded_from:
                return
            if not force and self.refused and self.refused["path"] == target.name:
                return
            self._load(target)

    def get(self) -> StanceModel:
        """Return the model to predict with, or raise a 503 problem when none is loaded."""
        if self.model is None:
            raise NoModel(f"no model is loaded from {self.path} yet; train one with stancemap-train")
        return self.model


def release_free_heap() -> None:
    """Give the heap pages that loading freed back to the operating system (glibc; elsewhere, nothing).

    Unpickling a model builds its dictionary vocabularies, which the fast path compiles into arrays and drops;
    glibc keeps the freed pages resident, where every worker forked from the master would count them. Trimming
    after a load measured 54 MB less resident memory in one process (246 MB to 192 MB, bench/RESULTS.md).
    """
    # The process's own symbols, not ctypes.util.find_library: that runs ldconfig in a subprocess, which stalled
    # a gevent worker reloading a model for over 30 s.
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


def model_store() -> ModelStore:
    """Return the current app's model store."""
    return current_app.extensions["stancemap"]
