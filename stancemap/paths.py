"""Where the bundled data lives."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """Return the data folder: ``STANCEMAP_DATA_DIR``, else the repository's ``data/``, else ``./data``.

    An editable install finds the repository's folder beside the package; an installed wheel (the Docker image)
    runs from a folder holding ``data/``.
    """
    if os.environ.get("STANCEMAP_DATA_DIR"):
        return Path(os.environ["STANCEMAP_DATA_DIR"])
    beside = Path(__file__).resolve().parent.parent / "data"
    return beside if beside.is_dir() else Path.cwd() / "data"
