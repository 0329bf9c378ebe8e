"""One ordered pair's stance over time: the table of its periods and a PNG of it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from stancemap.bulk.aggregate import graph_path, write_graph
from stancemap.errors import DataError


def load_graph(out: Path, period: str) -> Any:
    """Return a job folder's period graph, aggregating its dyad files first if that period was never written."""
    if not (out / "job.json").is_file():
        raise DataError(f"{out} is not a stancemap-batch output folder (no job.json)")
    path = graph_path(out, period)
    return pq.read_table(path) if path.is_file() else write_graph(out, period)


def pair_rows(graph: Any, source: str, target: str) -> list[dict[str, Any]]:
    """Return the dated periods of one ordered pair, oldest first."""
    mask = pc.and_(pc.equal(graph["source"], source), pc.equal(graph["target"], target))
    rows = [row for row in graph.filter(mask).to_pylist() if row["period"] is not None]
    return sorted(rows, key=lambda row: row["period"])


def table_text(rows: list[dict[str, Any]], source: str, target: str, period: str) -> str:
    """Render the pair's periods as a plain-text table."""
    lines = [f"{source} -> {target}, by {period}", "",
             f"{'period':<10}  {'support':>7}  {'oppose':>7}  {'neutral':>7}  {'dyads':>6}  {'mean score':>10}"]
    for row in rows:
        lines.append(f"{row['period']:<10}  {row['support']:>7}  {row['oppose']:>7}  {row['neutral']:>7}  "
                     f"{row['dyads']:>6}  {row['mean_score']:>+10.3f}")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], source: str, target: str, period: str, png: Path) -> None:
    """Draw the pair's mean support-minus-oppose score over time above its dyad counts by label, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and in CI
    import matplotlib.pyplot as plt

    days = [date.fromisoformat(row["period"]) for row in rows]
    width = {"day": 0.8, "week": 5.0, "month": 20.0}[period]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=(3, 2))
    top.axhline(0, color="0.6", linewidth=0.8)
    top.plot(days, [row["mean_score"] for row in rows], marker="o", color="#333333")
    top.fill_between(days, [row["mean_score"] for row in rows], 0, alpha=0.15, color="#333333")
    top.set_ylim(-1.05, 1.05)
    top.set_ylabel("mean P(support) − P(oppose)")
    top.set_title(f"Stance of {source} toward {target}, by {period}")
    base = [0] * len(rows)
    for label, colour in (("support", "#2e7d32"), ("oppose", "#c62828"), ("neutral", "#9e9e9e")):
        counts = [row[label] for row in rows]
        bottom.bar(days, counts, width=width, bottom=base, color=colour, label=label)
        base = [b + c for b, c in zip(base, counts, strict=True)]
    bottom.set_ylabel("dyads")
    # Headroom above the tallest bar keeps the legend off the bars.
    bottom.set_ylim(0, max(max(base, default=0), 1) * 1.3)
    bottom.legend(loc="upper left", ncols=3, frameon=False)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(png, dpi=100)
    plt.close(figure)
