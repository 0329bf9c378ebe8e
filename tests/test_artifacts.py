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


# The model of the test session: trained versions hold the heads compiled for serving beside the pipelines.

_SERVE_IN_A_NEW_PROCESS = """
import json, sys
from service import create_app
app = create_app({"MODEL_DIR": sys.argv[1]})
with app.test_client() as client:
    answer = client.post("/v1/stance", json={"items": [{"text": t, "source": s, "target": g}
                                                      for t, s, g in json.loads(sys.argv[2])]}).get_json()
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"sklearn", "scipy"})
print(json.dumps({"answer": answer, "heavy": heavy}))
"""


def test_the_service_serves_a_trained_version_without_importing_scikit_learn(models_dir: Path, corpus):
    import subprocess
    import sys

    import joblib

    from stancemap.runtime import StanceModel

    folder = version_dir(models_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["serving"]["file"] == "serving.joblib" and (folder / "serving.joblib").is_file()
    dyads = [list(s.dyad) for s in corpus[:: len(corpus) // 200 + 1]]  # about 200: one batch, under its limit
    done = subprocess.run([sys.executable, "-c", _SERVE_IN_A_NEW_PROCESS, str(models_dir), json.dumps(dyads)],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    served = json.loads(done.stdout)
    assert served["heavy"] == [] and "results" in served["answer"], served["answer"]
    # The same answers as the heads compiled from the pipelines in this process (scikit-learn imported).
    reference = StanceModel(joblib.load(folder / "model.joblib"), manifest).predict([tuple(d) for d in dyads])
    results = served["answer"]["results"]
    assert len(results) == len(dyads)
    for got, want in zip(results, reference, strict=True):
        assert got["stance"] == want["stance"] and got["sentiment"] == want["sentiment"]
        assert got["evidence"] == want["evidence"]


def _copy(models_dir: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "version"
    shutil.copytree(version_dir(models_dir), copy)
    return copy


def test_a_version_without_compiled_heads_of_this_format_is_compiled_from_its_pipelines(models_dir, tmp_path, corpus):
    from stancemap.runtime import StanceModel

    dyads = [s.dyad for s in corpus[::401]]
    expected = StanceModel.load(models_dir).predict(dyads)
    older = _copy(models_dir, tmp_path)
    manifest = json.loads((older / "manifest.json").read_text())
    manifest["serving"]["format"] = 0  # a layout this code no longer reads
    (older / "manifest.json").write_text(json.dumps(manifest))
    (older / "serving.joblib").write_bytes(b"not a pickle of this format")
    assert StanceModel.load(older).predict(dyads) == expected
    del manifest["serving"]  # a version written before compiled heads were
    (older / "manifest.json").write_text(json.dumps(manifest))
    (older / "serving.joblib").unlink()
    assert StanceModel.load(older).predict(dyads) == expected


def test_modified_compiled_heads_are_refused_before_unpickling(models_dir, tmp_path):
    from stancemap.runtime import StanceModel

    version = _copy(models_dir, tmp_path)
    data = bytearray((version / "serving.joblib").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (version / "serving.joblib").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="compiled model is corrupt or was modified"):
        StanceModel.load(version)
    (version / "serving.joblib").unlink()
    with pytest.raises(ModelError, match="compiled model is missing"):
        StanceModel.load(version)
