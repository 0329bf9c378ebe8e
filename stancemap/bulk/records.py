"""Read article records from JSONL, CSV or Parquet files, checking each and reporting bad ones by file and line."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from stancemap.errors import DataError
from stancemap.loading import allow_csv_fields, json_record

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
FIELDS = ("id", "text", "date", "outlet", "lang")
_LANG = re.compile(r"^[a-z]{2}$")
# Parquet rows are read in batches of this size: bounded memory whatever the file's row groups.
_PARQUET_BATCH = 1024


@dataclass(frozen=True)
class Article:
    """One valid article: its id, text and optional ISO date (YYYY-MM-DD), outlet and language."""

    id: str
    text: str
    date: str | None = None
    outlet: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Reject:
    """A record refused: where it is (file, line; a Parquet file's row number) and why."""

    file: str
    line: int
    field: str
    message: str
    record: Any = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Return the rejects file's JSON object (the record as read, when it could be read)."""
        return asdict(self)


def input_format(path: Path) -> str:
    """Return ``jsonl``, ``csv`` or ``parquet`` from a file name, or raise :class:`DataError`."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unknown input type {path.suffix!r}; expected .jsonl, .csv or .parquet")
    return fmt


def check_inputs(paths: Iterable[Path]) -> list[Path]:
    """Check that every input exists and has a known type, before any work starts."""
    paths = list(paths)
    if not paths:
        raise DataError("no input files")
    for path in paths:
        input_format(path)
        if not path.is_file():
            raise DataError(f"{path}: no such file")
    return paths


def fingerprint_inputs(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], int]:
    """Return each input's name, size and SHA-256, and a rough record count (for the progress bar's ETA).

    The hashes identify the job: a rerun into the same output folder must read the same bytes.
    """
    described, records = [], 0
    for path in paths:
        digest, size, lines = hashlib.sha256(), 0, 0
        with path.open("rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
        fmt = input_format(path)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            lines = pq.ParquetFile(path).metadata.num_rows
        elif fmt == "csv":
            lines = max(lines - 1, 0)  # the header
        records += lines
        described.append({"name": path.name, "bytes": size, "sha256": digest.hexdigest()})
    return described, records


def _jsonl(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"not valid UTF-8 ({exc.reason})"
                continue
            if line.strip():
                yield number, *json_record(line)


def _csv(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    try:
        allow_csv_fields(path.stat().st_size)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, restkey="\0extra")
            if reader.fieldnames is None:
                return
            missing = [name for name in ("id", "text") if name not in reader.fieldnames]
            if missing:
                raise DataError(f"{path}:1: the header lacks {', '.join(missing)}")
            # A quoted field may span lines: a record starts on the line after the previous one ended.
            start = reader.line_num + 1
            for row in reader:
                if "\0extra" in row:
                    row.pop("\0extra")
                    yield start, row, "more fields than the header names"
                else:
                    yield start, {k: v for k, v in row.items() if v not in (None, "")}, None
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: the file is not valid UTF-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read the CSV: {exc}") from exc


def _parquet(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise DataError(f"{path}: cannot read the Parquet file: {exc}") from exc
    columns = [name for name in FIELDS if name in source.schema_arrow.names]
    if "id" not in columns or "text" not in columns:
        raise DataError(f"{path}: the Parquet file needs the columns id and text")
    number = 0
    for batch in source.iter_batches(batch_size=_PARQUET_BATCH, columns=columns):
        for row in batch.to_pylist():
            number += 1
            yield number, {k: v for k, v in row.items() if v is not None}, None


_READERS = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}


def _iso_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError("not a date string")
    # Dates of news feeds come as 2026-03-14, 2026-03-14T09:30:00Z or with an offset: the day is what counts.
    return datetime.fromisoformat(value.strip()).date().isoformat()


def validate(record: Any) -> tuple[Article | None, str, str]:
    """Check one record; return the article, or ``None`` with the bad field and the reason."""
    if not isinstance(record, dict):
        return None, "record", f"expected an object, got {type(record).__name__}"
    raw_id = record.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or str(raw_id).strip() == "":
        return None, "id", "missing or empty (a string or an integer is required)"
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return None, "text", "missing or empty"
    values: dict[str, str | None] = {}
    if record.get("date") is not None:
        try:
            values["date"] = _iso_date(record["date"])
        except ValueError:
            return None, "date", f"{record['date']!r} is not an ISO date (YYYY-MM-DD or an ISO timestamp)"
    for name in ("outlet", "lang"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            return None, name, f"expected a string, got {type(value).__name__}"
        values[name] = value or None
    if values["lang"] is not None and not _LANG.match(values["lang"]):
        return None, "lang", f"{values['lang']!r} is not a two-letter ISO 639-1 code"
    return Article(id=str(raw_id).strip(), text=text, **values), "", ""


def read_articles(paths: Iterable[Path]) -> Iterator[Article | Reject]:
    """Yield every record of the files in order: an :class:`Article` when valid, else a :class:`Reject`.

    Streams: one line (or one Parquet batch) in memory at a time. A repeated id is refused, so that every article
    id is counted once.
    """
    # 8-byte digests rather than the ids themselves: about 60 bytes an article in the set, whatever an id's length
    # (600 MB for 10^7 articles; a chance collision among 10^7 ids is about 3 in a million).
    seen: set[int] = set()
    for path in paths:
        for number, record, problem in _READERS[input_format(path)](path):
            if problem is not None:
                yield Reject(str(path), number, "record", problem, record)
                continue
            article, field, message = validate(record)
            if article is None:
                yield Reject(str(path), number, field, message, record)
                continue
            key = int.from_bytes(hashlib.blake2b(article.id.encode(), digest_size=8).digest(), "big")
            if key in seen:
                yield Reject(str(path), number, "id", f"{article.id!r} repeats an earlier article's id", record)
                continue
            seen.add(key)
            yield article
