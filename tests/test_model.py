"""Model tier: behaviour of the model trained on the bundled corpus (direction, negation, invariance)."""

from __future__ import annotations

import json

import pytest

from training import evaluate as evaluate_cli

pytestmark = pytest.mark.model


def label(model, text, source, target):
    return model.predict([(text, source, target)])[0]["stance"]["label"]


def scores(model, text, source, target):
    return model.predict([(text, source, target)])[0]["stance"]["scores"]


@pytest.mark.parametrize(("text", "a", "b", "forward", "backward"), [
    ("Minsk warned Vilnius that sheltering opposition leaders would have consequences.",
     "Minsk", "Vilnius", "oppose", "neutral"),
    ("Athènes accuse Ankara de provocations, tandis qu'Ankara dénonce la militarisation des îles par Athènes.",
     "Athènes", "Ankara", "oppose", "oppose"),
    ("Le Japon a condamné fermement le tir de missile de la Corée du Nord.", "Japon", "Corée du Nord",
     "oppose", "neutral"),
    ("Berlin pledged new air-defence systems to Kyiv on Tuesday.", "Berlin", "Kyiv", "support", "neutral"),
])
def test_direction_matters(model, text, a, b, forward, backward):
    assert (label(model, text, a, b), label(model, text, b, a)) == (forward, backward)


@pytest.mark.parametrize(("plain", "negated", "source", "target"), [
    ("Le Brésil a condamné l'offensive russe.", "Le Brésil n'a pas condamné l'offensive russe.", "Brésil", "russe"),
    ("India condemned Russia's invasion of Ukraine.", "India did not condemn Russia's invasion of Ukraine.",
     "India", "Russia"),
])
def test_negated_condemnation_is_not_opposition(model, plain, negated, source, target):
    assert label(model, plain, source, target) == "oppose"
    assert label(model, negated, source, target) != "oppose"
    assert scores(model, negated, source, target)["oppose"] < scores(model, plain, source, target)["oppose"]


@pytest.mark.parametrize(("text", "source", "target"), [
    ("Canada expelled two Chinese diplomats accused of spying on the diaspora.", "Canada", "Chinese"),
    ("Le Premier ministre canadien a salué l'accord signé par la Chine et l'Inde.", "canadien", "Chine"),
    ("Canada and Mexico announced a joint plan to fight fentanyl trafficking.", "Canada", "Mexico"),
])
def test_invariant_to_actor_names(model, text, source, target):
    swapped = (text.replace("Canada", "Norway").replace("canadien", "norvégien"),
               source.replace("Canada", "Norway").replace("canadien", "norvégien"), target)
    original, other = model.predict([(text, source, target), swapped])
    assert original["stance"]["label"] == other["stance"]["label"]
    for name, value in original["stance"]["scores"].items():
        assert other["stance"]["scores"][name] == pytest.approx(value, abs=1e-9)


def test_prediction_shape_mentions_and_evidence(model):
    text = "La Russie a condamné la décision de l'Otan d'envoyer des troupes en Estonie."
    [result] = model.predict([(text, "Moscou", "l'Otan")])
    assert result["source"] == {"actor": "RUS", "known": True, "found": True, "mentions": [[3, 9]]}
    assert result["target"]["actor"] == "NATO" and result["target"]["found"]
    assert set(result["stance"]["scores"]) == {"support", "oppose", "neutral"}
    assert sum(result["stance"]["scores"].values()) == pytest.approx(1)
    assert result["sentiment"]["label"] == "negative"
    assert result["evidence"] and all(e["weight"] > 0 for e in result["evidence"])
    assert any("SOURCE" in e["feature"] or "TARGET" in e["feature"] for e in result["evidence"])


def test_actor_missing_from_text_is_reported_not_an_error(model):
    [result] = model.predict([("Paris salue l'accord entre Rabat et Madrid.", "Paris", "Tokyo")])
    assert result["target"]["found"] is False and result["target"]["mentions"] == []
    assert result["stance"]["label"] in {"support", "oppose", "neutral"}


def test_evaluate_cli_json(models_dir, corpus, tmp_path, capsys):
    data = tmp_path / "sample.jsonl"
    data.write_text("".join(json.dumps({"text": s.text, "source": s.source, "target": s.target,
                                        "stance": s.stance, "sentiment": s.sentiment, "lang": s.lang},
                                       ensure_ascii=False) + "\n" for s in corpus[:60]), encoding="utf-8")
    assert evaluate_cli.main(["--data", str(data), "--model", str(models_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 60
    assert {"macro_f1", "accuracy", "per_class", "confusion", "f_avg"} <= set(report["stance"])
    assert report["stance"]["accuracy"] > 0.8  # the model saw these rows in training
    assert {"macro_f1", "per_class"} <= set(report["sentiment"])


def test_manifest_and_card_written_beside_the_model(model, models_dir):
    folder = (models_dir / "current").resolve()
    assert model.version == folder.name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["training_data"]["rows"] > 1000
    assert all(not f["path"].startswith("/") for f in manifest["data_files"])
    assert manifest["labels"]["stance"] == ["support", "oppose", "neutral"]
    assert "Intended use" in (folder / "MODEL_CARD.md").read_text()


def test_fast_path_gives_the_pipeline_probabilities_over_a_third_of_the_corpus(model, models_dir, corpus):
    import joblib
    import numpy as np

    artifact = joblib.load((models_dir / "current").resolve() / "model.joblib")
    # Every pair of every third text, which takes rows from every file and language: the whole corpus (71,582
    # pairs) cost the suite 170 s, a third of it 65 s.
    chosen = set(sorted({s.text for s in corpus})[::3])
    dyads = [s.dyad for s in corpus if s.text in chosen]
    fast = model.predict(dyads)
    for head in ("stance", "sentiment"):
        pipeline = artifact[head]
        reference = pipeline.predict_proba(dyads)
        ours = np.array([[r[head]["scores"][label] for label in pipeline.classes_] for r in fast])
        assert np.abs(reference - ours).max() <= 1e-9
        assert [r[head]["label"] for r in fast] == list(pipeline.classes_[reference.argmax(axis=1)])
