"""Read labelled statements from JSONL or CSV files, reporting every bad row with its file, line and field."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stancemap.errors import DataError
from stancemap.formats import ABSENT_ACTORS_ALLOWED, READERS
from stancemap.gazetteer import Gazetteer
from stancemap.schema import FIELDS, Statement, actor_key, validate_row

FORMATS = ("jsonl", "csv", *READERS)


@dataclass
class Problem:
    """A bad row, or a remark about one: where it is and what is wrong."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-friendly form used in problem+json ``errors`` lists."""
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass
class LoadResult:
    """Valid statements, the rows refused (``errors``) and the remarks that did not refuse a row."""

    statements: list[Statement] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def skipped_lines(self) -> int:
        """How many rows were refused."""
        return len({(p.file, p.line) for p in self.errors})


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path}:{line}: the file is not valid UTF-8 ({exc.reason} at byte {exc.start})",
            [{"file": str(path), "line": line, "field": "file", "message": "not valid UTF-8"}],
        ) from exc


def json_record(line: str) -> tuple[Any, str | None]:
    """Parse one JSON Lines record: ``(value, None)``, or ``(None, why)`` for a line that is not usable JSON."""
    try:
        return json.loads(line), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    except ValueError as exc:  # an integer of more than 4,300 digits
        return None, f"not usable JSON: {exc}"
    except RecursionError:
        return None, "not usable JSON: nested too deeply"


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, Any, str | None]]:
    # Only \n ends a JSON Lines record (a \r before it is whitespace to JSON): str.splitlines() would also cut
    # at U+2028, U+0085 or a form feed, which JSON strings may hold unescaped, and split one valid row in two.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, *json_record(line)


def allow_csv_fields(size: int) -> None:
    """Let the csv module read fields of up to ``size`` characters.

    Its default cap, 131,072 characters, raised a bare csv.Error on a long text; no field is longer than its file,
    so callers pass the file's size.
    """
    csv.field_size_limit(max(csv.field_size_limit(), size + 1))


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, Any, str | None]]:
    allow_csv_fields(len(text))
    # csv.reader rather than DictReader: DictReader skips blank lines inside next(), so the line a record
    # starts on could no longer be told, and every record after a blank line was reported a line too early.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    missing = [name for name in ("text", "source", "target") if name not in header]
    if missing:
        raise DataError(
            f"{path}:1: the CSV header lacks the column(s) {', '.join(missing)}",
            [{"file": str(path), "line": 1, "field": name, "message": "missing column"} for name in missing],
        )
    start = reader.line_num + 1
    for values in reader:
        number, start = start, reader.line_num + 1
        if not values:  # a blank line
            continue
        if len(values) > len(header):
            yield number, None, f"has {len(values) - len(header)} more value(s) than the header has columns"
        elif len(values) < len(header):
            yield number, None, "has fewer values than the header has columns"
        else:
            yield number, dict(zip(header, values, strict=True)), None


def read_rows(
    path: str | Path, fmt: str | None = None, split: str | None = None
) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line, row, error)`` for each record of a file.

    ``fmt`` names a benchmark format (``park2021``, ``newsmtsc``, ``seesaw``, whose ``split`` selects train, valid
    or test); without it, JSONL or CSV is chosen by the file's extension.
    """
    path = Path(path)
    if fmt in READERS:
        if not path.exists():
            raise DataError(f"{path}: no such file or folder")
        yield from (READERS[fmt](path, split) if fmt == "seesaw" else READERS[fmt](path))
        return
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("jsonl", "ndjson", "json", "csv"):
        raise DataError(f"{path}: unknown file type {path.suffix!r}: use .jsonl or .csv")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from exc
    text = _decode(path, data)
    yield from (_csv_rows if suffix == "csv" else _jsonl_rows)(path, text)


def load_statements(
    paths: Iterable[str | Path],
    gazetteer: Gazetteer,
    *,
    require_stance: bool = True,
    fmt: str | None = None,
    split: str | None = None,
) -> LoadResult:
    """Load and check statements from files, collecting every problem rather than stopping at the first.

    Exact duplicates (same text, actors and labels) are kept once and reported as warnings; rows that repeat a
    pair with other labels, or a text with another sentiment, are errors.
    """
    result = LoadResult()
    seen: dict[tuple[str, str, str], Statement] = {}
    sentiments: dict[str, Statement] = {}
    for path in paths:
        unknown: set[str] = set()
        for line, row, error in read_rows(path, fmt, split):
            where = f"{path}:{line}"
            if error:
                result.errors.append(Problem(str(path), line, "row", error))
                continue
            if isinstance(row, dict):
                unknown |= set(row) - set(FIELDS)
            statement, problems = validate_row(row, gazetteer, require_stance=require_stance,
                                               allow_absent=fmt in ABSENT_ACTORS_ALLOWED)
            for name, message in problems.items():
                result.errors.append(Problem(str(path), line, name, message))
            if statement is None:
                continue
            statement = replace(statement, origin=where)
            key = (statement.group, actor_key(gazetteer, statement.source), actor_key(gazetteer, statement.target))
            first = seen.get(key)
            if first is not None:
                if (first.stance, first.sentiment) == (statement.stance, statement.sentiment):
                    result.warnings.append(Problem(str(path), line, "row", f"duplicate of {first.origin}, kept once"))
                else:
                    result.errors.append(Problem(str(path), line, "stance",
                                                 f"same text and pair as {first.origin} with other labels"))
                continue
            other = sentiments.get(statement.group)
            if statement.sentiment and other and other.sentiment != statement.sentiment:
                result.errors.append(Problem(str(path), line, "sentiment",
                                             f"{statement.sentiment!r} but {other.origin} gives the same text "
                                             f"{other.sentiment!r}; sentiment belongs to the whole text"))
                continue
            seen[key] = statement
            if statement.sentiment:
                sentiments.setdefault(statement.group, statement)
            result.statements.append(statement)
        if unknown:
            ignored = ", ".join(sorted(unknown))
            result.warnings.append(Problem(str(path), 1, "columns", f"ignored unknown field(s): {ignored}"))
    return result
