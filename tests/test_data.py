"""Data tier: the bundled corpus and gazetteer keep to the data contract and stay diverse."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from scipy.sparse.linalg import norm as sparse_norm
from sklearn.feature_extraction.text import TfidfVectorizer

from stancemap.features import NEGATION_CUES
from stancemap.schema import SENTIMENTS, STANCES
from stancemap.text import token_keys

NEAR_DUPLICATE = 0.85


def near_duplicates(texts: list[str], threshold: float = NEAR_DUPLICATE, common: int = 400) -> set[tuple[int, int]]:
    """Find the pairs ``(i, j)``, ``i < j``, of texts whose char n-gram TF-IDF cosine is at least ``threshold``.

    A cosine is the dot product over the rare n-grams (in at most ``common`` texts) plus that over the common ones,
    and the second is at most the product of the two texts' norms over the common n-grams (Cauchy-Schwarz). So only
    pairs that share a rare n-gram and whose bound reaches the threshold, and texts whose common norm alone could
    reach it, need their exact cosine. Why: the full product, whose cost is the squares of the n-grams' document
    counts, took 110 s on 24,807 texts; the rare one takes about 15 s and finds the same pairs.
    """
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts).tocsc()
    frequent = np.diff(vectors.indptr) > common
    rare = vectors[:, ~frequent].tocsr()
    common_norm = sparse_norm(vectors[:, frequent], axis=1)
    vectors = vectors.tocsr()
    shared = (rare @ rare.T).tocoo()
    upper = shared.row < shared.col
    rows, cols, partial = shared.row[upper], shared.col[upper], shared.data[upper]
    bound = partial + common_norm[rows] * common_norm[cols]
    rows, cols = rows[bound >= threshold], cols[bound >= threshold]
    exact = np.asarray(vectors[rows].multiply(vectors[cols]).sum(axis=1)).ravel()
    pairs = {(int(i), int(j)) for i, j, c in zip(rows, cols, exact, strict=True) if c >= threshold}
    for i in np.flatnonzero(common_norm * common_norm.max() >= threshold):
        similar = np.flatnonzero((vectors @ vectors[i].T).toarray().ravel() >= threshold)
        pairs |= {(int(min(i, j)), int(max(i, j))) for j in similar if j != i}
    return pairs


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
    pairs = sorted(near_duplicates(texts))
    assert not pairs, "\n".join(f"{texts[i]!r} ~ {texts[j]!r}" for i, j in pairs[:10])


@pytest.mark.parametrize("common", [400, 3])
def test_near_duplicate_search_finds_what_the_full_product_finds(texts, common):
    # A sample of the corpus with edited copies of some of its texts (one word dropped, one word changed), so that
    # there are near-duplicates to find; a cutoff of 3 sends most n-grams, and many texts, down the common path.
    sample = texts[::25]
    edited = [t.rsplit(" ", 1)[0] for t in sample[::7]]
    edited += [re.sub(r"\b(\w+)\b", "Zorglub", t, count=1) for t in sample[3::9]]
    probe = sample + edited
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(probe)
    similarity = np.triu((vectors @ vectors.T).toarray(), k=1)
    expected = {(int(i), int(j)) for i, j in zip(*np.nonzero(similarity >= NEAR_DUPLICATE), strict=True)}
    assert len(expected) >= 50
    assert near_duplicates(probe, common=common) == expected


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
