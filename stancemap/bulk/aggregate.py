"""The stance graph per period, added up from the dyad files: per ordered pair, counts by label and mean score."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stancemap.errors import DataError

PERIODS = ("day", "week", "month")
GRAPH_SCHEMA = pa.schema([
    ("period", pa.string()),
    ("source", pa.string()),
    ("target", pa.string()),
    ("support", pa.int64()),
    ("oppose", pa.int64()),
    ("neutral", pa.int64()),
    ("dyads", pa.int64()),
    ("mean_score", pa.float64()),
])
_KEYS = ["period", "source", "target"]
_SUMS = ["support", "oppose", "neutral", "dyads", "score"]
# Partial sums are folded together every this many dyad files, so memory follows the number of (period, pair)
# groups, not the number of files.
_FOLD_EVERY = 64


def _period_column(dates: pa.ChunkedArray, period: str) -> pa.Array:
    """Return each dyad's period as the ISO date of its first day (Monday for weeks); null when undated."""
    days = pc.cast(dates, pa.date32())
    starts = days if period == "day" else pc.floor_temporal(days, unit=period, week_starts_monday=True)
    return pc.cast(starts, pa.string())


def _partial(table: pa.Table, period: str) -> pa.Table:
    """Sum one dyad file per (period, source, target)."""
    stance = table["stance"]
    parts = pa.table({
        "period": _period_column(table["date"], period),
        "source": table["source"],
        "target": table["target"],
        **{label: pc.cast(pc.equal(stance, label), pa.int64()) for label in ("support", "oppose", "neutral")},
        "dyads": pa.array(np.ones(table.num_rows, dtype=np.int64)),
        "score": pc.subtract(table["stance_support"], table["stance_oppose"]),
    })
    return _fold(parts)


def _fold(table: pa.Table) -> pa.Table:
    """Sum the rows of each (period, source, target) group."""
    grouped = table.group_by(_KEYS, use_threads=False).aggregate([(name, "sum") for name in _SUMS])
    return grouped.rename_columns([name.removesuffix("_sum") for name in grouped.column_names])


def aggregate(dyad_files: Iterable[Path], period: str) -> pa.Table:
    """Add the dyads of ``dyad_files`` up per period and ordered pair, in a deterministic order.

    ``mean_score`` is the mean over the pair's dyads of P(support) - P(oppose): +1 all support, -1 all oppose.
    Undated articles fall in a null period, listed last.
    """
    if period not in PERIODS:
        raise DataError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    folded: list[pa.Table] = []
    for number, path in enumerate(sorted(dyad_files), start=1):
        table = pq.read_table(path, columns=["date", "source", "target", "stance", "stance_support", "stance_oppose"])
        if table.num_rows:
            folded.append(_partial(table, period))
        if number % _FOLD_EVERY == 0 and len(folded) > 1:
            folded = [_fold(pa.concat_tables(folded))]
    if not folded:
        return GRAPH_SCHEMA.empty_table()
    total = _fold(pa.concat_tables(folded))
    # Sums were taken in file order, but group_by's row order is not a contract: sort for stable output.
    total = total.sort_by([("period", "ascending", "at_end"), ("source", "ascending", "at_end"),
                           ("target", "ascending", "at_end")])
    mean = pc.divide(total["score"], pc.cast(total["dyads"], pa.float64()))
    return pa.table([total["period"], total["source"], total["target"], total["support"], total["oppose"],
                     total["neutral"], total["dyads"], mean], schema=GRAPH_SCHEMA)


def graph_path(out: Path, period: str, suffix: str = ".parquet") -> Path:
    """Return the file of the period graph in a job's output folder."""
    return out / f"graph-{period}{suffix}"


def write_graph(out: Path, period: str, jsonl: bool = False) -> pa.Table:
    """Aggregate a job folder's dyad files and write ``graph-PERIOD.parquet`` (and ``.jsonl``)."""
    table = aggregate((out / "dyads").glob("part-*.parquet"), period)
    pq.write_table(table, graph_path(out, period), compression="zstd")
    if jsonl:
        graph_path(out, period, ".jsonl").write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.to_pylist()), encoding="utf-8")
    return table
