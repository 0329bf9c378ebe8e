"""Code tier: article records for bulk analysis (JSONL, CSV, Parquet), and the period graph on hand-made dyads."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stancemap.bulk.aggregate import aggregate
from stancemap.bulk.engine import DYAD_SCHEMA, part_path, read_ledger
from stancemap.bulk.records import Article, Reject, check_inputs, read_articles
from stancemap.errors import DataError
from training.batch import main as batch_cli


def split(items):
    articles = [i for i in items if isinstance(i, Article)]
    rejects = [i for i in items if isinstance(i, Reject)]
    return articles, rejects


def test_jsonl_records_are_checked_and_every_bad_one_is_reported_with_its_line(tmp_path: Path):
    path = tmp_path / "news.jsonl"
    lines = [
        {"id": "a1", "text": "Moscow backs Pyongyang.", "date": "2026-03-14", "outlet": "AFP", "lang": "en"},
        {"id": 2, "text": "Kyiv accuses Moscow.", "date": "2026-03-15T23:10:00+02:00"},
        "{not json",
        {"id": "a3", "text": "   "},
        {"id": "a4", "text": "x", "date": "14/03/2026"},
        {"id": "a5", "text": "x", "lang": "french"},
        {"text": "no id"},
        {"id": "a1", "text": "the same id again"},
        ["not", "an", "object"],
    ]
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n",
                    encoding="utf-8")
    articles, rejects = split(list(read_articles([path])))
    assert articles == [
        Article("a1", "Moscow backs Pyongyang.", "2026-03-14", "AFP", "en"),
        Article("2", "Kyiv accuses Moscow.", "2026-03-15", None, None),  # integer ids become strings; the day counts
    ]
    assert [(r.line, r.field) for r in rejects] == [
        (3, "record"), (4, "text"), (5, "date"), (6, "lang"), (7, "id"), (8, "id"), (9, "record")]
    assert all(r.file == str(path) for r in rejects)
    assert "not valid JSON" in rejects[0].message and "repeats" in rejects[5].message
    assert str(rejects[2]).startswith(f"{path}:5: date: ")


def test_csv_lines_count_quoted_newlines_and_parquet_rows_are_numbered(tmp_path: Path):
    csv_path = tmp_path / "news.csv"
    csv_path.write_text('id,text,date\nc1,"Two lines:\nMoscow backs Minsk.",2026-01-02\nc2,,2026-01-03\n'
                        'c3,Paris and Berlin,not-a-date\nc4,ok,2026-01-04,extra\nc5,fine,\n', encoding="utf-8")
    parquet_path = tmp_path / "news.parquet"
    pq.write_table(pa.table({"id": ["p1", "p2", "c1"], "text": ["Seoul and Tokyo", None, "dup"],
                             "date": ["2026-02-01", "2026-02-02", "2026-02-03"]}), parquet_path)
    articles, rejects = split(list(read_articles([csv_path, parquet_path])))
    assert [a.id for a in articles] == ["c1", "c5", "p1"]
    assert articles[0].text == "Two lines:\nMoscow backs Minsk." and articles[1].date is None
    # c2 starts on line 4 because c1's quoted text spans lines 2 and 3.
    assert [(Path(r.file).name, r.line, r.field) for r in rejects] == [
        ("news.csv", 4, "text"), ("news.csv", 5, "date"), ("news.csv", 6, "record"),
        ("news.parquet", 2, "text"), ("news.parquet", 3, "id")]


def test_inputs_are_checked_before_any_work(tmp_path: Path, capsys):
    with pytest.raises(DataError, match="unknown input type"):
        check_inputs([tmp_path / "news.txt"])
    with pytest.raises(DataError, match="no such file"):
        check_inputs([tmp_path / "missing.jsonl"])
    (tmp_path / "headless.csv").write_text("title,body\nx,y\n", encoding="utf-8")
    assert batch_cli([str(tmp_path / "headless.csv"), "--out", str(tmp_path / "out"),
                      "--model", str(tmp_path / "no-model")]) == 2
    assert "error:" in capsys.readouterr().err
    assert batch_cli([str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl: no such file" in err and "Traceback" not in err


def dyad(article: str, date: str | None, source: str, target: str, stance: str, support: float, oppose: float):
    return {"article_id": article, "date": date, "outlet": None, "lang": "en", "sentence": 0, "source": source,
            "target": target, "stance": stance, "stance_support": support, "stance_oppose": oppose,
            "stance_neutral": 1 - support - oppose, "sentiment": None, "sentiment_positive": None,
            "sentiment_negative": None, "sentiment_neutral": None, "evidence": [], "model_version": "v"}


def test_period_graph_counts_labels_and_averages_support_minus_oppose(tmp_path: Path):
    (tmp_path / "dyads").mkdir()
    first = [dyad("a", "2026-03-02", "RUS", "UKR", "oppose", 0.1, 0.8),   # Monday of week 2026-03-02
             dyad("b", "2026-03-08", "RUS", "UKR", "oppose", 0.2, 0.6),   # Sunday, same week
             dyad("b", "2026-03-08", "RUS", "UKR", "neutral", 0.3, 0.3),
             dyad("c", "2026-03-09", "RUS", "UKR", "support", 0.7, 0.1)]  # next Monday
    second = [dyad("d", "2026-04-01", "RUS", "UKR", "support", 0.9, 0.05),
              dyad("d", "2026-04-01", "UKR", "RUS", "oppose", 0.0, 1.0),
              dyad("e", None, "RUS", "UKR", "oppose", 0.0, 0.5)]          # undated: a null period, listed last
    for number, rows in enumerate((first, second)):
        pq.write_table(pa.Table.from_pylist(rows, schema=DYAD_SCHEMA), tmp_path / "dyads" / f"part-{number}.parquet")
    files = sorted((tmp_path / "dyads").glob("*.parquet"))

    def rows(period):
        return [(r["period"], r["source"], r["target"], r["support"], r["oppose"], r["neutral"], r["dyads"],
                 round(r["mean_score"], 4)) for r in aggregate(files, period).to_pylist()]

    assert rows("week") == [
        ("2026-03-02", "RUS", "UKR", 0, 2, 1, 3, round((-0.7 - 0.4 + 0.0) / 3, 4)),
        ("2026-03-09", "RUS", "UKR", 1, 0, 0, 1, 0.6),
        ("2026-03-30", "RUS", "UKR", 1, 0, 0, 1, 0.85),
        ("2026-03-30", "UKR", "RUS", 0, 1, 0, 1, -1.0),
        (None, "RUS", "UKR", 0, 1, 0, 1, -0.5),
    ]
    assert rows("month")[:2] == [("2026-03-01", "RUS", "UKR", 1, 2, 1, 4, round((-0.7 - 0.4 + 0.0 + 0.6) / 4, 4)),
                                 ("2026-04-01", "RUS", "UKR", 1, 0, 0, 1, 0.85)]
    assert [r[0] for r in rows("day")] == ["2026-03-02", "2026-03-08", "2026-03-09", "2026-04-01", "2026-04-01", None]
    with pytest.raises(DataError, match="unknown period"):
        aggregate(files, "year")


def test_ledger_counts_a_partition_only_when_its_file_is_whole(tmp_path: Path):
    (tmp_path / "dyads").mkdir()
    for index in (0, 1):
        part_path(tmp_path, index).write_bytes(f"part {index}".encode())
    def entry(index: int, data: bytes) -> str:
        return json.dumps({"partition": index, "articles": 8, "dyads": 3, "sha256": hashlib.sha256(data).hexdigest()})

    # Partition 1's file differs from what was recorded, 2's file is missing, and a crash tore the last line.
    (tmp_path / "ledger.jsonl").write_text("\n".join([entry(0, b"part 0"), entry(1, b"other"), entry(2, b"part 2"),
                                                      '{"partition": 3, "artic']), encoding="utf-8")
    assert sorted(read_ledger(tmp_path)) == [0]


def test_long_articles_in_jsonl_and_csv_are_read_whole(tmp_path: Path):
    # Longer than the csv module's default field cap, and with a line separator JSON may hold unescaped.
    long_text = "Paris soutient Berlin.\u2028" + "Moscou et Kiev. " * 12_000
    jsonl, csv_path = tmp_path / "long.jsonl", tmp_path / "long.csv"
    jsonl.write_text(json.dumps({"id": "j1", "text": long_text}, ensure_ascii=False) + "\n", encoding="utf-8")
    csv_path.write_text('id,text\nc1,"' + long_text + '"\n', encoding="utf-8")
    articles, rejects = split(list(read_articles([jsonl, csv_path])))
    assert not rejects
    assert [(a.id, a.text) for a in articles] == [("j1", long_text), ("c1", long_text)]
