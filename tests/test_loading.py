"""Code tier: the data contract, file readers, and the CLIs' handling of bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancemap.errors import DataError
from stancemap.loading import load_statements
from training import train as train_cli

GOOD = {"text": "Paris a salué la décision de Rabat.", "source": "Paris", "target": "Rabat",
        "stance": "support", "sentiment": "positive", "lang": "fr"}


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_valid_rows_load_with_origin(tmp_path, gazetteer):
    result = load_statements([write_jsonl(tmp_path / "a.jsonl", [GOOD])], gazetteer)
    assert not result.errors
    [statement] = result.statements
    assert (statement.source, statement.stance, statement.origin) == ("Paris", "support", f"{tmp_path}/a.jsonl:1")


def test_every_bad_row_is_reported_with_line_and_field(tmp_path, gazetteer):
    rows = [
        GOOD,
        {**GOOD, "text": "   "},
        {**GOOD, "text": "Autre phrase sur Paris et Rabat.", "stance": "maybe"},
        "{not json",
        {**GOOD, "text": "Une phrase sur Paris et Moscou.", "target": "Atlantis"},
        {**GOOD, "text": "Poutine parle de la Russie.", "source": "Poutine", "target": "la Russie"},
        {**GOOD, "text": "Encore Paris et Rabat.", "sentiment": "happy", "lang": "french"},
        ["a", "list"],
        {**GOOD, "text": 42},
    ]
    result = load_statements([write_jsonl(tmp_path / "bad.jsonl", rows)], gazetteer)
    where = {(p.line, p.field) for p in result.errors}
    assert where == {(2, "text"), (3, "stance"), (4, "row"), (5, "target"), (6, "target"),
                     (7, "sentiment"), (7, "lang"), (8, "row"), (9, "text")}
    assert len(result.statements) == 1
    assert result.skipped_lines == 8
    assert all(p.file.endswith("bad.jsonl") for p in result.errors)


def test_duplicates_reported_and_conflicts_refused(tmp_path, gazetteer):
    rows = [GOOD, {**GOOD, "id": "copy"}, {**GOOD, "stance": "oppose"},
            {**GOOD, "source": "Rabat", "target": "Paris", "stance": "neutral", "sentiment": "negative"}]
    result = load_statements([write_jsonl(tmp_path / "d.jsonl", rows)], gazetteer)
    assert [(w.line, "duplicate" in w.message) for w in result.warnings] == [(2, True)]
    assert [(e.line, e.field) for e in result.errors] == [(3, "stance"), (4, "sentiment")]
    assert len(result.statements) == 1


def test_csv_with_bom_crlf_quotes_and_ragged_rows(tmp_path, gazetteer):
    path = tmp_path / "a.csv"
    path.write_bytes(
        "\ufefftext,source,target,stance,sentiment\r\n"
        '"Paris a salué, hier, la décision de Rabat.",Paris,Rabat,support,positive\r\n'
        '"Une phrase\r\nsur deux lignes où Tokyo critique Séoul.",Tokyo,Séoul,oppose,negative\r\n'
        "Trop,de,valeurs,ici,oui,non\r\n"
        "=cmd|' /C calc'!A0,Paris,Rabat,support,\r\n".encode()
    )
    result = load_statements([path], gazetteer)
    assert [s.text[:5] for s in result.statements] == ["Paris", "Une p", "=cmd|"]
    assert result.statements[1].text == "Une phrase\r\nsur deux lignes où Tokyo critique Séoul."
    assert result.statements[2].text == "=cmd|' /C calc'!A0"  # loaded exactly: escaping is the reader's job
    assert [(e.line, e.field) for e in result.errors] == [(5, "row")]


def test_csv_without_required_columns(tmp_path, gazetteer):
    path = tmp_path / "a.csv"
    path.write_text("phrase,source\nx,y\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"target, text|text, target"):
        load_statements([path], gazetteer)


def test_invalid_utf8_names_the_line(tmp_path, gazetteer):
    path = tmp_path / "a.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"text": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"a.jsonl:2: .*UTF-8"):
        load_statements([path], gazetteer)


def test_unknown_extension(tmp_path, gazetteer):
    with pytest.raises(DataError, match="unknown file type"):
        load_statements([tmp_path / "a.txt"], gazetteer)


def test_stance_optional_when_not_training(tmp_path, gazetteer):
    row = {k: v for k, v in GOOD.items() if k != "stance"}
    assert load_statements([write_jsonl(tmp_path / "a.jsonl", [row])], gazetteer, require_stance=False).statements
    assert load_statements([write_jsonl(tmp_path / "b.jsonl", [row])], gazetteer).errors[0].field == "stance"


def test_train_cli_refuses_bad_rows_then_skips_them(tmp_path, capsys):
    rows = [GOOD, {**GOOD, "text": "Tokyo critique Séoul.", "source": "Tokyo", "target": "Séoul",
                   "stance": "oppose", "sentiment": "negative"},
            {**GOOD, "text": "Berlin et Varsovie se rencontrent.", "source": "Berlin", "target": "Varsovie",
             "stance": "neutral", "sentiment": "neutral"},
            {**GOOD, "text": "", "stance": "x"}]
    data = write_jsonl(tmp_path / "mine.jsonl", rows)
    with pytest.raises(SystemExit) as exit_info:
        train_cli.main(["--data", str(data), "--out", str(tmp_path / "models"), "--folds", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "mine.jsonl:4: text:" in err and "mine.jsonl:4: stance:" in err
    assert not (tmp_path / "models").exists()
    assert train_cli.main(["--data", str(data), "--out", str(tmp_path / "models"), "--folds", "0",
                           "--skip-invalid"]) == 0
    err = capsys.readouterr().err
    assert "skipped 1 invalid row(s)" in err
    assert (tmp_path / "models" / "current" / "model.joblib").is_file()


def test_train_cli_refuses_too_little_to_learn_from(tmp_path, capsys):
    other = {**GOOD, "text": "Tokyo critique Séoul.", "source": "Tokyo", "target": "Séoul", "stance": "oppose",
             "sentiment": "negative"}
    for rows, message in (([GOOD, {**GOOD, "text": "Paris salue Rabat.", "source": "Paris", "target": "Rabat"}],
                           "at least two stance labels"),
                          ([GOOD, other], "at least 3 labelled rows, not 2"),
                          # Three texts with no word in common, the actors named but not written: no stance word
                          # is in three rows.
                          ([{**GOOD, "text": "Bravo !"}, {**other, "text": "Terrible news today."},
                            {**other, "text": "Quelle honte.", "source": "Italie"}], "share too few words")):
        data = write_jsonl(tmp_path / "few.jsonl", rows)
        assert train_cli.main(["--data", str(data), "--out", str(tmp_path / "models"), "--folds", "0"]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "models" / "current").exists()
