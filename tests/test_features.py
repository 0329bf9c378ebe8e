"""Code tier: role masking, the step every stance feature reads."""

from __future__ import annotations

import re

from stancemap.gazetteer import Gazetteer
from stancemap.pipelines import DyadMasker


def tidy(text: str) -> str:
    """Placeholders come with a space on each side; drop the doubled and the ones before punctuation."""
    return re.sub(r" ([,.])", r"\1", " ".join(text.split()))


def masked(gazetteer: Gazetteer, text: str, source: str, target: str) -> str:
    return tidy(DyadMasker(gazetteer=gazetteer).fit(None).mask(text, source, target))


def test_roles_and_other_actors_get_their_placeholders(gazetteer: Gazetteer):
    text = "Paris a salué la décision de Rabat, selon Washington."
    assert masked(gazetteer, text, "Paris", "Rabat") == "xsrcx a salué la décision de xtgtx, selon xactx."
    assert masked(gazetteer, text, "Rabat", "Paris") == "xtgtx a salué la décision de xsrcx, selon xactx."


def test_titles_are_masked_with_the_mention_they_qualify(gazetteer: Gazetteer):
    text = "Le président russe Vladimir Poutine a assuré la Corée du Nord du soutien de son pays."
    assert masked(gazetteer, text, "Poutine", "la Corée du Nord") == (
        "Le xsrcx a assuré la xtgtx du soutien de son pays.")
    text = "a commenté le secrétaire général de l'Otan Jens Stoltenberg, soulignant que la Russie viole les sanctions"
    assert masked(gazetteer, text, "l'Otan", "la Russie") == (
        "a commenté le xsrcx, soulignant que la xtgtx viole les sanctions")
    text = "Israeli Defence Minister Israel Katz accused Iran of lying, Japanese officials said."
    assert masked(gazetteer, text, "Israel", "Iran") == "xsrcx accused xtgtx of lying, xactx said."


def test_articles_alone_are_not_titles(gazetteer: Gazetteer):
    # "la" before "Russie" names no office: it stays a word of the sentence, as without titles.
    assert masked(gazetteer, "L'Otan accuse la Russie de violer les sanctions.", "l'Otan", "la Russie") == (
        "L' xsrcx accuse la xtgtx de violer les sanctions.")


def test_a_batch_masks_each_row_as_alone(gazetteer: Gazetteer):
    text = "Le ministre turc des Affaires étrangères a critiqué Paris et salué Berlin."
    rows = [(text, "turc", "Paris"), (text, "turc", "Berlin"), (text, "Paris", "Berlin"),
            ("Kyiv thanked Tokyo.", "Kyiv", "Tokyo")]
    masker = DyadMasker(gazetteer=gazetteer).fit(None)
    assert masker.transform(rows) == [masker.mask(*row) for row in rows]
    assert tidy(masker.transform(rows)[0]) == "Le xsrcx a critiqué xtgtx et salué xactx."


def test_a_masker_pickled_before_the_estimator_moved_to_pipelines_still_loads():
    import pickle

    # Versions written before the masking was split from its estimator name stancemap.features.DyadMasker.
    old = pickle.dumps(DyadMasker(mode="none"), protocol=2).replace(b"stancemap.pipelines\nDyadMasker",
                                                                     b"stancemap.features\nDyadMasker")
    assert b"stancemap.features\nDyadMasker" in old
    restored = pickle.loads(old)
    assert isinstance(restored, DyadMasker) and restored.mode == "none"
    assert restored.transform([("Alpha met Beta.", "Alpha", "Beta")]) == ["Alpha met Beta."]


def test_words_around_a_mention_behind_a_third_actor_are_also_marked_apart():
    from stancemap.features import dyad_context

    screened = dyad_context("xsrcx accuse xactx de livrer des munitions à la xtgtx .")
    # The target's words are there as for any mention, and once more marked: a third actor stands between.
    assert "before xtgtx: munitions" in screened and "~before xtgtx: munitions" in screened
    assert "~xtgtx -2-1: a la" in screened
    # The source's nearest target is behind the same actor, so its words are marked too; no other feature is.
    assert "~after xsrcx: accuse" in screened
    window = re.compile(r"(xsrcx|xtgtx) [+-]|(before|after) (xsrcx|xtgtx):")
    assert {f for f in screened if f.startswith("~")} == {"~" + f for f in screened if window.match(f)}
    plain = dyad_context("xsrcx accuse xtgtx de livrer des munitions à xactx .")
    assert not [f for f in plain if f.startswith("~")]


def test_the_sentences_first_actor_is_named_whichever_role_it_is():
    from stancemap.features import dyad_context

    assert "first actor xactx, xsrcx before xtgtx" in dyad_context("xactx et xsrcx condamnent la xtgtx .")
    assert "first actor xsrcx" in dyad_context("xsrcx accuse xactx de livrer des armes à la xtgtx .")
    assert "first actor xtgtx" in dyad_context("xtgtx was praised by xsrcx .")


def test_context_tells_a_third_actor_or_a_clause_break_between_the_roles():
    from stancemap.features import dyad_context

    direct = dyad_context("xsrcx condamne l'offensive de la xtgtx .")
    assert "xsrcx before xtgtx, no actor between, same clause" in direct
    through = dyad_context("xsrcx s'inquiète, accusant xactx de livrer des armes à la xtgtx .")
    assert "xsrcx before xtgtx, actor between, clause break" in through
    assert "no actor between" not in through and "same clause" not in through
    # Which actor stands next to each role: the source itself before the target, or a third actor.
    assert {"actor before xtgtx: xsrcx", "actor after xsrcx: xtgtx"} <= set(direct)
    assert {"actor before xtgtx: xactx", "actor after xsrcx: xactx"} <= set(through)
    assert "actor before xtgtx: none" in dyad_context("xtgtx a été critiquée par xsrcx .")
    # Only the nearest mentions count: the target's first mention, before the source in its clause, is the nearest.
    assert "xtgtx before xsrcx, no actor between, same clause" in dyad_context(
        "xtgtx a été critiquée par xsrcx ; xactx soutient encore et toujours la xtgtx .")
