"""Code tier: versioned model folders, the atomic switch, and refusal of artifacts that fail verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancemap.artifacts import load_verified, version_dir, write_version
from stancemap.errors import ModelError


def card(manifest: dict) -> str:
    return f"# {manifest['version']}\n"


def new_version(models: Path, payload: object = None) -> Path:
    return write_version(models, payload or {"weights": [1, 2, 3]}, {"parameters": {"C": 1}}, {"folds": 0}, card)


def test_version_written_whole_then_made_current(tmp_path):
    first = new_version(tmp_path)
    assert {p.name for p in first.iterdir()} == {"model.joblib", "manifest.json", "metrics.json", "MODEL_CARD.md"}
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["version"] == first.name and manifest["parameters"] == {"C": 1}
    assert {"python", "scikit-learn", "numpy", "joblib"} <= set(manifest["libraries"])
    assert version_dir(tmp_path) == first.resolve()
    second = new_version(tmp_path, {"weights": [4]})
    assert version_dir(tmp_path) == second.resolve()
    model, loaded, _ = load_verified(tmp_path)
    assert model == {"weights": [4]} and loaded["version"] == second.name
    assert load_verified(first)[0] == {"weights": [1, 2, 3]}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_failure_while_writing_leaves_current_untouched(tmp_path):
    first = new_version(tmp_path)

    def interrupted(manifest: dict) -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_version(tmp_path, {"weights": []}, {}, {}, interrupted)
    assert version_dir(tmp_path) == first.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, "current"])


@pytest.mark.parametrize("damage", ["tamper", "truncate", "delete"])
def test_damaged_artifact_refused(tmp_path, damage):
    folder = new_version(tmp_path)
    artifact = folder / "model.joblib"
    if damage == "tamper":
        artifact.write_bytes(artifact.read_bytes()[:-1] + b"\0")
    elif damage == "truncate":
        artifact.write_bytes(artifact.read_bytes()[:10])
    else:
        artifact.unlink()
    with pytest.raises(ModelError, match=r"checksum mismatch|missing"):
        load_verified(tmp_path)


def test_other_library_version_or_schema_refused(tmp_path):
    folder = new_version(tmp_path)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["libraries"]["scikit-learn"] = "0.24.2"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"scikit-learn 0\.24\.2"):
        load_verified(folder)
    manifest["schema_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="schema"):
        load_verified(folder)


def test_missing_model_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelError, match="stancemap-train"):
        load_verified(tmp_path / "nowhere")
