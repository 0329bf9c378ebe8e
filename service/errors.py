"""Every error as RFC 9457 problem+json, from one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException

from stancemap.errors import StancemapError

PROBLEM_TYPE = "https://stancemap.dev/problems/"


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {"type": PROBLEM_TYPE + title.lower().replace(" ", "-"), "title": title,
                            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def init_app(app: Flask) -> None:
    """Map our errors, HTTP errors and anything unexpected to problem+json."""

    @app.errorhandler(StancemapError)
    def stancemap_error(exc: StancemapError) -> Response:
        return problem(exc.status, exc.title, exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        response = problem(exc.code or 500, exc.name, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        current_app.logger.exception("unhandled error")
        return problem(500, "Internal Server Error", "The server failed to answer; the error was logged.")
