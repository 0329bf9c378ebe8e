"""Model tier: whole articles into sentences, dyads and a stance graph (core, API and CLI)."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from service import create_app
from service.cli import main as analyze_cli
from stancemap.article import analyze, guess_language, split_sentences
from tests.live import ROOT

pytestmark = pytest.mark.model

EXAMPLE = (ROOT / "examples" / "article-fr-sommet-pyongyang.txt").read_text(encoding="utf-8")
# What the worked example must show, whatever else the model finds.
EXPECTED_EDGES = {("RUS", "PRK", "support"), ("NATO", "RUS", "oppose"), ("USA", "PRK", "oppose"),
                  ("EU", "PRK", "oppose"), ("RUS", "UKR", "oppose")}


def edges(result: dict) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["stance"]) for e in result["graph"]["edges"]}


def test_worked_example_shows_the_expected_edges(model):
    result = analyze(EXAMPLE, model)
    assert result["lang"] == "fr"
    assert edges(result) >= EXPECTED_EDGES
    russia = next(n for n in result["graph"]["nodes"] if n["id"] == "RUS")
    assert {"Kremlin", "Moscou", "Vladimir Poutine", "russe"} <= set(russia["mentions"])
    for edge in result["graph"]["edges"]:
        pair = [d for d in result["dyads"] if (d["source"], d["target"]) == (edge["source"], edge["target"])
                and d["stance"]["label"] != "neutral"]
        assert 0 < edge["weight"] <= 1 and edge["count"] == len(pair)
        assert edge["sentences"] == sorted({d["sentence"] for d in pair})
        assert edge["stance"] != "neutral"


def test_every_ordered_pair_of_a_sentence_is_scored(model):
    result = analyze("Paris et Berlin ont salué l'accord conclu par Madrid. Rome se tait.", model)
    assert [s["actors"] for s in result["sentences"]] == [["FRA", "DEU", "ESP"], ["ITA"]]
    pairs = [(d["source"], d["target"]) for d in result["dyads"]]
    assert len(pairs) == 6 == len(set(pairs)) and all(d["sentence"] == 0 for d in result["dyads"])


def test_no_actor_and_one_actor(model):
    assert analyze("Il a plu toute la journée sur la capitale.", model)["dyads"] == []
    one = analyze("La Russie a annoncé des manoeuvres. Moscou les juge défensives.", model)
    assert one["dyads"] == [] and one["graph"]["edges"] == []
    assert [(n["id"], n["count"]) for n in one["graph"]["nodes"]] == [("RUS", 2)]


def test_same_actor_under_several_names_is_one_node(model):
    result = analyze("Le Kremlin a salué Pékin. Poutine remercie la Chine, et Moscou félicite Xi Jinping.", model)
    assert sorted(n["id"] for n in result["graph"]["nodes"]) == ["CHN", "RUS"]
    assert all({d["source"], d["target"]} == {"RUS", "CHN"} for d in result["dyads"])


def test_overlapping_names(model):
    result = analyze("La Corée du Nord a tiré un missile, a dénoncé la Corée du Sud.", model)
    assert result["sentences"][0]["actors"] == ["PRK", "KOR"]


def test_min_confidence_and_neutral_edges(model):
    everything = analyze(EXAMPLE, model, include_neutral=True)
    assert any(e["stance"] == "neutral" for e in everything["graph"]["edges"])
    strict = analyze(EXAMPLE, model, min_confidence=0.9)
    for dyad in strict["dyads"]:
        assert dyad["kept"] == (dyad["stance"]["scores"][dyad["stance"]["label"]] >= 0.9)
    assert len(strict["graph"]["edges"]) < len(analyze(EXAMPLE, model)["graph"]["edges"])


def test_long_article_is_analysed_whole(model):
    article = ((EXAMPLE + "\n\n") * (100_000 // len(EXAMPLE) + 1))[:100_000]
    result = analyze(article, model)
    assert len(result["sentences"]) > 100 and result["sentences"][-1]["end"] <= 100_000
    assert edges(result) >= EXPECTED_EDGES


def test_language_guess_and_splitter():
    assert guess_language("The United States said on Tuesday that the talks were over.") == "en"
    assert guess_language("Le président a déclaré que la réunion était terminée.") == "fr"
    text = "M. Poutine est arrivé à Pyongyang. Les États-Unis ont réagi."
    assert [text[s:e] for s, e in split_sentences(text, "fr")] == ["M. Poutine est arrivé à Pyongyang.",
                                                                     "Les États-Unis ont réagi."]


def test_sentence_spans_match_pysbd_without_its_quadratic_search(monkeypatch, corpus):
    import pysbd

    texts = sorted({statement.text for statement in corpus})
    articles = [EXAMPLE, " ".join(texts[:60]), "\n\n".join(texts[-60:]), "Yes. " * 50 + "No!"]
    for lang in ("fr", "en"):
        reference = pysbd.Segmenter(language=lang, clean=False, char_span=True)
        for article in articles:
            expected = [(span.start, span.start + len(span.sent.rstrip())) for span in reference.segment(article)]
            assert split_sentences(article, lang) == expected

    # pysbd's span search scans the whole text once per sentence: 100,000 ". " took minutes. It must not run.
    def quadratic(*args, **kwargs):
        raise AssertionError("pysbd's sentences_with_char_spans was called")

    monkeypatch.setattr(pysbd.Segmenter, "sentences_with_char_spans", quadratic)
    text = ". " * 100_000
    spans = split_sentences(text, "en")
    assert spans and all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    assert all(text[start:end] == text[start:end].strip() != "" for start, end in spans)


def test_api_and_cli_give_the_same_edges(models_dir, model, tmp_path, capsys):
    client = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False}).test_client()
    response = client.post("/v1/analyze", json={"text": EXAMPLE})
    assert response.status_code == 200
    article = tmp_path / "article.txt"
    article.write_text(EXAMPLE, encoding="utf-8")
    assert analyze_cli([str(article), "--json", "--model", str(models_dir)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert response.json["graph"] == cli["graph"] == analyze(EXAMPLE, model)["graph"]
    assert analyze_cli([str(article), "--model", str(models_dir)]) == 0
    table = capsys.readouterr().out
    assert "Russia" in table and "North Korea" in table and "support" in table


@pytest.mark.parametrize(("body", "field"), [
    ({"text": ""}, "text"), ({"text": "x" * 1001}, "text"), ({"text": "a", "lang": "it"}, "lang"),
    ({"text": "a", "min_confidence": 2}, "min_confidence"),
    ({"text": "a", "include_neutral": "yes"}, "include_neutral"),
])
def test_api_rejects_bad_article_requests(models_dir, body, field):
    client = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False, "MAX_ARTICLE_CHARS": 1000}).test_client()
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 400 and field in [e["field"] for e in response.json["errors"]]
