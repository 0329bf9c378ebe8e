"""``stancemap-serve``: run the service under gunicorn with the repository's configuration."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from service import DEFAULTS
from stancemap.artifacts import CURRENT, MANIFEST, verify
from stancemap.errors import ModelError

CONFIG = Path(__file__).resolve().parent / "gunicorn.conf.py"


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    p = argparse.ArgumentParser(prog="stancemap-serve", description=__doc__)
    p.add_argument("--host", default=os.environ.get("STANCEMAP_HOST", "127.0.0.1"),
                   help="address to bind (default: STANCEMAP_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                   help="port (default: PORT or 8000)")
    p.add_argument("--workers", type=int, default=int(os.environ.get("STANCEMAP_WORKERS", "2")),
                   help="worker processes (default: STANCEMAP_WORKERS or 2)")
    p.add_argument("--model-dir", default=None,
                   help="models folder or version folder to serve (default: STANCEMAP_MODEL_DIR or models)")
    return p


def refusal(model_dir: str) -> str | None:
    """Say why the model in ``model_dir`` cannot be served, without unpickling it; None if it can or if none is there.

    With no model yet the service starts and answers 503 until one lands; a model that is there but damaged,
    tampered with or built for other libraries stops the start with this one line rather than a traceback.
    """
    path = Path(model_dir)
    if not ((path / MANIFEST).is_file() or os.path.lexists(path / CURRENT)):
        return None
    try:
        verify(path)
    except ModelError as exc:
        return exc.message
    return None


def main(argv: list[str] | None = None) -> None:
    """Replace this process with gunicorn, so that it receives signals directly (PID 1 in a container)."""
    args = parser().parse_args(argv)
    if args.model_dir:
        os.environ["STANCEMAP_MODEL_DIR"] = args.model_dir
    reason = refusal(os.environ.get("STANCEMAP_MODEL_DIR", DEFAULTS["MODEL_DIR"]))
    if reason:
        sys.exit(f"stancemap-serve: refusing to start: {reason}")
    os.execv(sys.executable, [
        sys.executable, "-m", "gunicorn", "--config", str(CONFIG),
        "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers), "service:create_app()",
    ])


if __name__ == "__main__":
    main()
