"""Versioned model folders: writing them whole, switching ``current`` atomically, verifying before loading."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import secrets
import shutil
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import joblib

from stancemap.errors import ModelError

ARTIFACT = "model.joblib"
# The heads compiled for serving (stancemap.fastpath), beside the pipelines they come from. SERVING_FORMAT changes
# whenever a compiled head's pickled layout does; a version of another format is compiled from its pipelines.
SERVING = "serving.joblib"
SERVING_FORMAT = 1
MANIFEST = "manifest.json"
METRICS = "metrics.json"
CARD = "MODEL_CARD.md"
CURRENT = "current"
SCHEMA_VERSION = 1
LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib", "babel")


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Return the versions of Python and the libraries a pickled model depends on."""
    return {"python": platform.python_version(), **{name: package_version(name) for name in LIBRARIES}}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_version(
    models_dir: str | Path,
    model: Any,
    manifest: dict[str, Any],
    metrics: dict[str, Any],
    card: Callable[[dict[str, Any]], str],
    serving: Any = None,
) -> Path:
    """Write a new model version and only then point ``current`` at it.

    ``serving``, if given, is the model compiled for serving, written beside ``model`` with its own checksum.

    Everything is written into a hidden temporary folder first, renamed into place, and ``current`` is replaced
    by a rename of a new symlink, so a reader sees either the old complete version or the new complete one.
    ``card`` renders the model card from the finished manifest.
    """
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    # The staging folder is named before it is made, and made inside the try: a Ctrl-C landing just after the
    # folder exists (seen in a test, two runs in ten, when it was made by tempfile.mkdtemp before the try) is
    # then cleaned up like any other. Blocking SIGINT around mkdtemp was not enough: numpy's threads take it too.
    staging = models_dir / f".incoming-{secrets.token_hex(8)}"
    try:
        staging.mkdir(mode=0o700)
        joblib.dump(model, staging / ARTIFACT, compress=3)
        digest = sha256_file(staging / ARTIFACT)
        compiled = {}
        if serving is not None:
            joblib.dump(serving, staging / SERVING, compress=3)
            compiled = {"serving": {"file": SERVING, "sha256": sha256_file(staging / SERVING),
                                    "bytes": (staging / SERVING).stat().st_size, "format": SERVING_FORMAT}}
        created = datetime.now(UTC)
        version = f"{created:%Y%m%dT%H%M%SZ}-{digest[:8]}"
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "version": version,
            "created_at": created.isoformat(timespec="seconds"),
            "artifact": {"file": ARTIFACT, "sha256": digest, "bytes": (staging / ARTIFACT).stat().st_size},
            **compiled,
            "libraries": library_versions(),
            **manifest,
        }
        _write_json(staging / MANIFEST, manifest)
        _write_json(staging / METRICS, metrics)
        (staging / CARD).write_text(card(manifest), encoding="utf-8")
        for path in staging.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        final = models_dir / version
        staging.chmod(0o755)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    switch_current(models_dir, version)
    return final


def switch_current(models_dir: str | Path, version: str) -> None:
    """Point ``models_dir/current`` at ``version`` with one atomic rename."""
    models_dir = Path(models_dir)
    link = models_dir / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version)
    os.replace(link, models_dir / CURRENT)


def version_dir(path: str | Path) -> Path:
    """Return the version folder ``path`` names: a version folder itself, or a models folder's ``current``."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return path
    current = path / CURRENT
    if current.exists():
        return current.resolve()
    raise ModelError(
        f"no model in {path}: it is neither a model version folder nor a models folder with a 'current' "
        "version (train one with: stancemap-train)"
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and check a version folder's manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{folder / MANIFEST}: cannot read the manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("schema_version") != SCHEMA_VERSION:
        raise ModelError(f"{folder / MANIFEST}: manifest schema {manifest.get('schema_version')!r} is not "
                         f"{SCHEMA_VERSION}; retrain the model with this version of stancemap")
    return manifest


def verify(path: str | Path) -> tuple[dict[str, Any], Path]:
    """Check a model version against its manifest without unpickling it; return the manifest and the folder.

    The artifact must be there, match the manifest's checksum, and have been built with the installed
    scikit-learn: a pickle runs code, so nothing else may be unpickled.
    """
    folder = version_dir(path)
    manifest = read_manifest(folder)
    artifact = folder / manifest["artifact"]["file"]
    if not artifact.is_file():
        raise ModelError(f"{artifact}: the model artifact is missing")
    check_artifact(sha256_file(artifact), manifest, artifact)
    return manifest, folder


def read_metrics(folder: Path) -> dict[str, Any]:
    """Read the cross-validated metrics written beside a version's artifact, or ``{}`` if there are none."""
    path = folder / METRICS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_verified(path: str | Path) -> tuple[Any, dict[str, Any], Path]:
    """Load a model once :func:`verify` has passed; return the model, its manifest and its folder."""
    manifest, folder = verify(path)
    return _load_artifact(folder, manifest)


def _load_artifact(folder: Path, manifest: dict[str, Any]) -> tuple[Any, dict[str, Any], Path]:
    # Only for a folder that verify() has passed.
    artifact = folder / manifest["artifact"]["file"]
    try:
        model = joblib.load(artifact)
    except Exception as exc:
        raise ModelError(f"{artifact}: cannot load the model: {exc}") from exc
    return model, manifest, folder


def serving_file(folder: Path, manifest: dict[str, Any]) -> Path:
    """Return the file serving loads from a verified version: its compiled heads if they are of this format.

    A version without compiled heads of this format is served from its pipelines (the artifact), compiled when
    loaded.
    """
    entry = _compiled_entry(manifest)
    if entry is None:
        return folder / manifest["artifact"]["file"]  # verify() has found it
    path = folder / entry["file"]
    if not path.is_file():
        raise ModelError(f"{path}: the compiled model is missing")
    return path


def check_serving_bytes(data: bytes, manifest: dict[str, Any], where: str | Path) -> None:
    """Refuse the bytes of :func:`serving_file` unless they match the manifest: checked before any unpickling.

    Pipelines are also refused when built with another scikit-learn (:func:`check_artifact`); compiled heads
    do not use it.
    """
    digest = hashlib.sha256(data).hexdigest()
    entry = _compiled_entry(manifest)
    if entry is None:
        check_artifact(digest, manifest, where)
    elif digest != entry["sha256"]:
        raise ModelError(f"{where}: checksum mismatch: the compiled model is corrupt or was modified")


def load_for_serving(path: str | Path) -> tuple[Any, dict[str, Any], Path]:
    """Load what serving needs: the compiled model if the version has one of this format, else the pipelines.

    The compiled file is checked against the manifest's checksum before it is unpickled, like the artifact.
    """
    manifest, folder = verify(path)
    if _compiled_entry(manifest) is None:
        return _load_artifact(folder, manifest)
    compiled = serving_file(folder, manifest)
    data = compiled.read_bytes()
    check_serving_bytes(data, manifest, compiled)
    try:
        return joblib.load(io.BytesIO(data)), manifest, folder
    except Exception as exc:
        # Whatever went wrong (a class whose layout changed without a new SERVING_FORMAT), the verified
        # pipelines are there to compile from, and serving them is better than serving nothing.
        warnings.warn(f"{compiled}: cannot load the compiled model ({exc}); compiling it from the pipelines",
                      RuntimeWarning, stacklevel=2)
        return _load_artifact(folder, manifest)


def _compiled_entry(manifest: dict[str, Any]) -> dict[str, Any] | None:
    entry = manifest.get("serving")
    return entry if isinstance(entry, dict) and entry.get("format") == SERVING_FORMAT else None


def check_artifact(digest: str, manifest: dict[str, Any], where: str | Path) -> None:
    """Refuse an artifact whose SHA-256 differs from its manifest's, or built with another scikit-learn.

    Shared by :func:`verify` and :func:`check_serving_bytes`.
    """
    if digest != manifest["artifact"]["sha256"]:
        raise ModelError(f"{where}: checksum mismatch (manifest {manifest['artifact']['sha256'][:12]}..., "
                         f"file {digest[:12]}...): the artifact is corrupt or was modified")
    built, running = manifest["libraries"].get("scikit-learn"), package_version("scikit-learn")
    if built != running:
        raise ModelError(f"{where}: built with scikit-learn {built}, but {running} is installed; "
                         "retrain the model or install the same version")
