"""``GET /``: the single page that draws an article's stance graph, served with strict security headers."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, send_from_directory

bp = Blueprint("web", __name__)

# Scripts and styles come only from our own files: no inline script, no CDN, no framing by other sites.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")


@bp.get("/")
def index() -> Response:
    """Serve the page."""
    return send_from_directory(current_app.root_path + "/static", "index.html")


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
