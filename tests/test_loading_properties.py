"""Code tier: properties of the training-data loaders over generated files (hypothesis).

Whatever the bytes, loading ends in a :class:`LoadResult` or a :class:`DataError` naming the file and line, never
another exception; every record is either loaded, refused with its line and field, or reported as a duplicate
(nothing is dropped silently); and valid rows written as JSONL or CSV, with or without a BOM and CRLF line
ends, load back to the same values.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stancemap.errors import DataError
from stancemap.loading import LoadResult, load_statements
from stancemap.schema import FIELDS

# Distinct actors of the bundled gazetteer, as the forms a row may name them by.
ACTORS = ["Paris", "Rabat", "Tokyo", "Séoul", "Moscou", "Kiev", "Washington", "Pékin", "Berlin", "Otan"]
# What spreadsheet software would run as a formula, and other characters CSV must carry through quoting.
INJECTION = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", '"quoted"', "a,b", "é\u0301",
             "\u202eRTL\u202c", "\u2028", "\u0085", "\x0c", "\x1e", "\ufeff"]

# Text around the actors: any printable character, plus the ones that break naive readers.
chunk = st.one_of(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30),
                  st.sampled_from(INJECTION), st.sampled_from(["\n", "\r\n", ",", '"', "\\", "'"]))


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Valid rows with distinct texts: a text naming two different actors, labels, and maybe an id."""
    count = draw(st.integers(1, 6))
    made = []
    for index in range(count):
        source, target = draw(st.lists(st.sampled_from(ACTORS), min_size=2, max_size=2, unique=True))
        parts = draw(st.lists(chunk, min_size=3, max_size=3))
        # The row index keeps texts distinct, so no row is a duplicate of another.
        text = f"{parts[0]} {source} {parts[1]} {target} {parts[2]} #{index}"
        row = {"text": text, "source": source, "target": target,
               "stance": draw(st.sampled_from(["support", "oppose", "neutral"]))}
        if draw(st.booleans()):
            row["sentiment"] = draw(st.sampled_from(["positive", "negative", "neutral"]))
        if draw(st.booleans()):
            row["id"] = draw(st.sampled_from([*INJECTION, "r1", "0042"]))
        made.append(row)
    return made


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def as_jsonl(rows_: list[dict], *, crlf: bool, bom: bool, ascii_: bool) -> bytes:
    end = "\r\n" if crlf else "\n"
    text = end.join(json.dumps(row, ensure_ascii=ascii_) for row in rows_) + end
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def as_csv(rows_: list[dict], *, crlf: bool, bom: bool) -> bytes:
    out = io.StringIO(newline="")
    # The csv module quotes a field only for the characters of its own line terminator, so with "\n" a bare "\r"
    # in a text would be written unquoted (a line break to any reader): quote every field then.
    writer = csv.DictWriter(out, fieldnames=["id", "text", "source", "target", "stance", "sentiment"],
                            lineterminator="\r\n" if crlf else "\n",
                            quoting=csv.QUOTE_MINIMAL if crlf else csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows_)
    return (codecs.BOM_UTF8 if bom else b"") + out.getvalue().encode("utf-8")


def loaded_values(result: LoadResult) -> list[dict[str, str]]:
    return [{name: getattr(s, name) for name in FIELDS if getattr(s, name) is not None} for s in result.statements]


def expected_values(rows_: list[dict]) -> list[dict[str, str]]:
    # Fields are read without their surrounding whitespace, and labels in lower case: the contract's only changes.
    return [{name: value.strip() for name, value in row.items() if value.strip()} for row in rows_]


def load(path: Path, gazetteer) -> LoadResult | DataError:
    try:
        return load_statements([path], gazetteer)
    except DataError as exc:
        return exc


@given(rows(), st.booleans(), st.booleans(), st.booleans())
def test_valid_rows_round_trip_through_jsonl(gazetteer, rows_, crlf, bom, ascii_):
    with tempfile.TemporaryDirectory() as folder:
        result = load(write(Path(folder), "a.jsonl", as_jsonl(rows_, crlf=crlf, bom=bom, ascii_=ascii_)), gazetteer)
    assert isinstance(result, LoadResult), result
    assert not result.errors, [str(p) for p in result.errors]
    assert loaded_values(result) == expected_values(rows_)


@given(rows(), st.booleans(), st.booleans())
def test_valid_rows_round_trip_through_csv(gazetteer, rows_, crlf, bom):
    with tempfile.TemporaryDirectory() as folder:
        result = load(write(Path(folder), "a.csv", as_csv(rows_, crlf=crlf, bom=bom)), gazetteer)
    assert isinstance(result, LoadResult), result
    assert not result.errors, [str(p) for p in result.errors]
    assert loaded_values(result) == expected_values(rows_)


def accounted(result: LoadResult) -> set[int]:
    """The lines the result says something about: loaded, refused, or kept once as a duplicate."""
    loaded = {int(s.origin.rsplit(":", 1)[1]) for s in result.statements}
    refused = {p.line for p in result.errors}
    duplicates = {p.line for p in result.warnings if p.field == "row"}
    assert not loaded & refused and not loaded & duplicates, "a line both loaded and refused"
    return loaded | refused | duplicates


def jsonl_records(text: str) -> set[int]:
    return {number for number, line in enumerate(text.split("\n"), start=1) if line.strip()}


def csv_records(text: str) -> set[int]:
    reader = csv.reader(io.StringIO(text, newline=""))
    if next(reader, None) is None:
        return set()
    records, start = set(), reader.line_num + 1
    for row in reader:
        if row:
            records.add(start)
        start = reader.line_num + 1
    return records


def garbled(draw: st.DrawFn, good: bytes) -> bytes:
    """Valid file bytes with some lines swapped for arbitrary bytes, text or JSON."""
    lines = good.split(b"\n")
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.integers(0, len(lines)))
        junk = draw(st.one_of(
            st.binary(max_size=40),
            st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.sampled_from([b"[1, 2]", b"null", b"{}", b'{"text": NaN}', b"9" * 5000, b"[" * 5000,
                             b'{"text": "\\ud800 Paris Rabat", "source": "Paris", "target": "Rabat"}',
                             b'"' + b"x" * 200_000 + b'",Paris,Rabat', b",,,,,,,,", b"text,source", b"\xef\xbb\xbf",
                             b"\x00", b"\r", b"\xff\xfe\x00"]),
        ))
        lines.insert(where, junk)
    return b"\n".join(lines)


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
@given(data=st.data())
def test_any_bytes_give_rows_or_line_numbered_errors_and_drop_nothing(gazetteer, suffix, data):
    rows_ = data.draw(rows())
    good = as_jsonl(rows_, crlf=False, bom=False, ascii_=False) if suffix == "jsonl" else \
        as_csv(rows_, crlf=False, bom=False)
    raw = garbled(data.draw, good)
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), f"a.{suffix}", raw)
        result = load(path, gazetteer)
        if isinstance(result, DataError):
            # A whole-file problem (not UTF-8, no usable CSV header): it names the file and a line.
            assert str(result).startswith(f"{path}:"), str(result)
            assert result.errors and all("line" in e and "field" in e for e in result.errors), result.errors
            return
        for problem in result.errors + result.warnings:
            assert str(problem).startswith(f"{path}:{problem.line}: {problem.field}: ")
        text = raw.decode("utf-8-sig")
        records = jsonl_records(text) if suffix == "jsonl" else csv_records(text)
        assert accounted(result) == records


def test_csv_keeps_a_field_longer_than_the_csv_module_limit(tmp_path, gazetteer):
    text = "Paris " + "a" * 300_000 + " Rabat"
    path = write(tmp_path, "big.csv", as_csv([{"text": text, "source": "Paris", "target": "Rabat",
                                                "stance": "neutral"}], crlf=True, bom=True))
    [statement] = load_statements([path], gazetteer).statements
    assert statement.text == text


def test_jsonl_line_separators_inside_strings_stay_in_the_row(tmp_path, gazetteer):
    # U+2028, U+0085 and form feeds are not line ends in JSON Lines; only \n (and \r\n) is.
    rows_ = [{"text": f"Paris{sep}critique Rabat ({n}).", "source": "Paris", "target": "Rabat", "stance": "oppose"}
             for n, sep in enumerate(("\u2028", "\u0085", "\x0c", "\x1e"))]
    result = load_statements([write(tmp_path, "a.jsonl", as_jsonl(rows_, crlf=False, bom=False, ascii_=False))],
                             gazetteer)
    assert not result.errors
    assert [(s.text, s.origin.rsplit(":", 1)[1]) for s in result.statements] == \
        [(row["text"], str(line)) for line, row in enumerate(rows_, start=1)]


@pytest.mark.parametrize("line", [b"9" * 5000, b"[" * 100_000,
                                  b'{"text": "\\ud800 Paris Rabat", "source": "Paris", "target": "Rabat", '
                                  b'"stance": "oppose"}'])
def test_jsonl_values_python_cannot_take_are_line_errors(tmp_path, gazetteer, line):
    good = as_jsonl([{"text": "Paris critique Rabat.", "source": "Paris", "target": "Rabat", "stance": "oppose"}],
                    crlf=False, bom=False, ascii_=True)
    result = load_statements([write(tmp_path, "a.jsonl", good + line + b"\n")], gazetteer)
    assert len(result.statements) == 1
    assert [(p.line, p.field in ("row", "text")) for p in result.errors] == [(2, True)]


def test_missing_and_extra_columns(tmp_path, gazetteer):
    path = write(tmp_path, "a.csv", b"text,source,target,stance,note,=HYPERLINK()\r\n"
                                    b"Paris critique Rabat.,Paris,Rabat,oppose,x,y\r\n")
    result = load_statements([path], gazetteer)
    assert len(result.statements) == 1
    assert [str(w).split(": ", 1)[1] for w in result.warnings] == \
        ["columns: ignored unknown field(s): =HYPERLINK(), note"]
    with pytest.raises(DataError) as info:
        load_statements([write(tmp_path, "b.csv", b"source,stance\r\nParis,oppose\r\n")], gazetteer)
    assert str(info.value).startswith(f"{tmp_path / 'b.csv'}:1: ")
    assert {e["field"] for e in info.value.errors} == {"text", "target"}
