"""Data tier: the bundled corpus and gazetteer keep to the data contract and stay diverse."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from stancemap.features import NEGATION_CUES
from stancemap.schema import SENTIMENTS, STANCES
from stancemap.text import token_keys

NEAR_DUPLICATE = 0.85


@pytest.fixture(scope="module")
def texts(corpus):
    return sorted({s.text for s in corpus})


def test_size_and_languages(corpus, texts):
    # The floors sit just under today's corpus (24,807 texts: FR 11,309, EN 11,459, DE 1,269, ES 770), so that a lost
    # file fails here; the accuracy issue asked for 3,000 (FR and EN 1,300 each, DE and ES 150 each).
    assert len(texts) >= 24200
    lang_of = {s.text: s.lang for s in corpus}
    by_lang = Counter(lang_of[t] for t in texts)
    assert set(by_lang) == {"fr", "en", "de", "es"}
    assert by_lang["fr"] >= 11000 and by_lang["en"] >= 11150, by_lang
    assert by_lang["de"] >= 1200 and by_lang["es"] >= 720, by_lang


def test_every_label_well_represented(corpus):
    stances = Counter(s.stance for s in corpus)
    assert set(stances) == set(STANCES)
    assert min(stances.values()) / len(corpus) >= 0.25, stances
    assert all(s.sentiment in SENTIMENTS for s in corpus)


def test_sources_and_targets_found_in_their_text_and_nearly_all_known(corpus, gazetteer):
    # The contract allows a surface form the gazetteer does not know ("the Mexican cartels"); our corpus keeps
    # them rare, so that the gazetteer, not the wording, decides who is who.
    resolutions = [(s, role, gazetteer.resolve(getattr(s, role), s.text))
                   for s in corpus for role in ("source", "target")]
    missing = [f"{s.origin}: {role} {getattr(s, role)!r}" for s, role, r in resolutions if not r.found]
    assert not missing, "\n".join(missing[:30])
    known = sum(r.known for _, _, r in resolutions) / len(resolutions)
    assert known >= 0.97, known


def test_covers_many_actors(corpus, gazetteer):
    actors = {gazetteer.lookup(name) for s in corpus for name in (s.source, s.target)} - {None}
    assert len(actors) >= 200


def test_pairs_labelled_in_both_directions(corpus, gazetteer):
    pairs = {(s.group, gazetteer.lookup(s.source), gazetteer.lookup(s.target)) for s in corpus}
    both = {(g, a, b) for g, a, b in pairs if (g, b, a) in pairs}
    assert len(both) >= 300
    multi = Counter(s.group for s in corpus)
    assert sum(1 for n in multi.values() if n >= 3) >= 50


def test_hard_cases_present(texts):
    negated = [t for t in texts if set(token_keys(t)) & NEGATION_CUES or re.search(r"n['’]t\b", t)]
    quoted = [t for t in texts if re.search(r"[«“\"]", t)]
    passive = [t for t in texts if re.search(r"\b(by|par|von|vom|por)\b", t)]
    assert len(negated) >= 100 and len(quoted) >= 100 and len(passive) >= 100


def test_no_near_duplicates(texts):
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts)
    similarity = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similarity, 0)
    rows, cols = np.where(np.triu(similarity) >= NEAR_DUPLICATE)
    assert not len(rows), "\n".join(f"{texts[i]!r} ~ {texts[j]!r}" for i, j in zip(rows[:10], cols[:10], strict=True))


def test_no_statement_written_twice_and_no_pair_labelled_twice(corpus, corpus_load):
    # The near-duplicate test sees each distinct text once, so a statement copied whole into another file (one was,
    # in round 14) would pass it; and the loader keeps one row of an actor pair labelled twice in a text, through
    # two forms of the same actors, which then only adds noise to the file.
    statements: dict[str, set[str]] = {}
    for s in corpus:
        statements.setdefault(s.group, set()).add(re.sub(r"[a-z]+$", "", s.id or ""))
    assert [ids for ids in statements.values() if len(ids) > 1] == []
    assert [str(w) for w in corpus_load.warnings] == []


def test_predicates_vary(texts):
    # Written, not templated: many distinct word trigrams, and no trigram (outside stock phrases) everywhere.
    trigrams = Counter(g for t in texts for g in set(zip(*(token_keys(t)[i:] for i in range(3)), strict=False)))
    assert len(trigrams) / len(texts) >= 10
    assert trigrams.most_common(1)[0][1] / len(texts) < 0.05


def test_gazetteer_size_and_languages(gazetteer):
    assert len(gazetteer) >= 120
    bilingual = [a for a in gazetteer.actors.values() if a.forms.get("fr") and a.forms.get("en")]
    assert len(bilingual) >= 120


def test_no_hand_written_alias_is_ambiguous(gazetteer):
    import tomllib

    from stancemap.paths import data_dir

    raw = tomllib.loads((data_dir() / "actors.toml").read_text(encoding="utf-8"))
    written = {" ".join(token_keys(a)) for entry in raw.values() for forms in entry.get("aliases", {}).values()
               for a in forms}
    assert not written & set(gazetteer.ambiguous), sorted(written & set(gazetteer.ambiguous))


@pytest.mark.parametrize(("form", "actor"), [
    ("Poutine", "RUS"), ("Kremlin", "RUS"), ("Moscou", "RUS"), ("russe", "RUS"), ("Corée du Nord", "PRK"),
    ("Pyongyang", "PRK"), ("nord-coréen", "PRK"), ("Nord-Coréens", "PRK"), ("Otan", "NATO"),
    ("Jens Stoltenberg", "NATO"), ("Américains", "USA"), ("Washington", "USA"), ("Européens", "EU"),
    ("Ukraine", "UKR"), ("Iran", "IRN"), ("Chine", "CHN"), ("ONU", "UN"), ("Kim Jong Un", "PRK"),
    ("Maison Blanche", "USA"), ("Quai d'Orsay", "FRA"), ("Kyiv", "UKR"), ("Kiev", "UKR"), ("Pékin", "CHN"),
    ("Beijing", "CHN"), ("White House", "USA"), ("North Korean", "PRK"), ("Putin", "RUS"),
])
def test_seed_article_and_brief_forms_resolve(gazetteer, form, actor):
    assert gazetteer.lookup(form) == actor
