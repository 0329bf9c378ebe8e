"""One error hierarchy for the library, the CLIs and the service; each error carries its HTTP status."""

from __future__ import annotations

from typing import Any


class StancemapError(Exception):
    """Base of every error Stancemap raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    errors : list of dict, optional
        One entry per bad field (``{"field": ..., "message": ...}``, plus ``"line"`` or ``"index"``).
    """

    status = 500
    title = "Internal error"

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class DataError(StancemapError):
    """Input data (a training file, the gazetteer, a request body) breaks the data contract."""

    status = 400
    title = "Invalid input"


class TooMuchWork(StancemapError):
    """A well-formed input asks for more computation than the configured limit allows."""

    status = 422
    title = "Too much work"


class ModelError(StancemapError):
    """A model artifact is missing, corrupt, or was built with another library version."""

    status = 503
    title = "Model unavailable"
