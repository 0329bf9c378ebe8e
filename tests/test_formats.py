"""Code tier: the public-benchmark adapters, on small fixtures we wrote in the same formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancemap.formats import SeesawEntities, park_label, seesaw_entities, seesaw_ideology_votes
from stancemap.gazetteer import WRITER, Gazetteer
from stancemap.loading import load_statements
from training import train as train_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_park_lines_give_both_directed_rows():
    result = load_statements([FIXTURES / "park2021" / "test.txt"], Gazetteer([]), fmt="park2021")
    rows = [(s.source, s.target, s.stance) for s in result.statements]
    assert rows == [("Alvarez", "Springfield", "support"), ("Springfield", "Alvarez", "neutral"),
                    ("Governor Lee", "Senator Park", "neutral"), ("Senator Park", "Governor Lee", "oppose"),
                    ("Acme", "Globex", "neutral"), ("Globex", "Acme", "neutral")]
    assert result.statements[0].text == "Senator Alvarez praised the mayor of Springfield for the new bridge."
    assert [(e.line, "two bracketed" in e.message) for e in result.errors] == [(4, True)]


@pytest.mark.parametrize(("forward", "backward", "label"), [
    ("support", "neutral", 1), ("neutral", "support", 2), ("oppose", "neutral", 3), ("neutral", "oppose", 4),
    ("neutral", "neutral", 0),
])
def test_park_label_round_trip(forward, backward, label):
    assert park_label(forward, backward) == label


def test_park_label_conflict_goes_to_the_more_confident_direction():
    assert park_label("support", "oppose", (0.9, 0.6)) == 1
    assert park_label("support", "oppose", (0.5, 0.6)) == 4


def test_newsmtsc_original_and_flattened_rows():
    result = load_statements([FIXTURES / "newsmtsc" / "test.jsonl"], Gazetteer([]), fmt="newsmtsc")
    assert [(s.source, s.target, s.stance) for s in result.statements] == [
        (WRITER, "Miller", "oppose"), (WRITER, "Ortiz", "support"), (WRITER, "Novak", "neutral")]
    assert [e.line for e in result.errors] == [3]


def test_seesaw_split_surface_forms_and_writer():
    test = load_statements([FIXTURES / "seesaw"], Gazetteer([]), fmt="seesaw", split="test").statements
    assert [(s.source, s.target, s.stance) for s in test] == [("Obama", "Republicans", "oppose"),
                                                             (WRITER, "Congress", "support")]
    train = load_statements([FIXTURES / "seesaw"], Gazetteer([]), fmt="seesaw", split="train").statements
    assert [(s.source, s.target, s.stance) for s in train] == [("White House", "Congress", "support")]
    assert len(load_statements([FIXTURES / "seesaw"], Gazetteer([]), fmt="seesaw").statements) == 3


def test_seesaw_entities_by_row_id():
    entities = seesaw_entities(FIXTURES / "seesaw")
    ids = {s.id for s in load_statements([FIXTURES / "seesaw"], Gazetteer([]), fmt="seesaw").statements}
    assert set(entities) == ids
    assert entities["TRIPLET_001_DOCUMENT_0-1-0"] == SeesawEntities("TRIPLET_001", "White House", "Congress",
                                                                    "Organization", "Organization", 3)
    # The writer has no name nor type; an entity missing from the list has no type; no meta entry, no bias.
    assert entities["TRIPLET_000_DOCUMENT_0-1-1"] == SeesawEntities("TRIPLET_000", None, "Congress")
    assert entities["TRIPLET_000_DOCUMENT_0-0-0"].subject_type == "People"
    assert set(seesaw_entities(FIXTURES / "seesaw", "train")) == {"TRIPLET_001_DOCUMENT_0-1-0"}


def test_seesaw_ideology_votes_of_one_split_only():
    assert seesaw_ideology_votes(FIXTURES / "seesaw") == {
        "TRIPLET_001": {"White House": ["Slightly Liberal", "Liberal"], "Congress": ["Not Applicable"]}}


def test_train_cli_reads_a_benchmark_format(tmp_path):
    out = tmp_path / "models"
    assert train_cli.main(["--data", str(FIXTURES / "park2021" / "test.txt"), "--format", "park2021",
                           "--gazetteer", "none", "--folds", "0", "--out", str(out), "--skip-invalid"]) == 0
    assert (out / "current" / "model.joblib").is_file()
