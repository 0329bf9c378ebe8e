"""What the training CLIs share: reading data files with a full report of every problem."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from stancemap.errors import StancemapError
from stancemap.gazetteer import Gazetteer
from stancemap.loading import FORMATS, load_statements
from stancemap.schema import Statement


def say(message: str) -> None:
    """Print a progress line on standard error, so standard output stays for results."""
    print(message, file=sys.stderr, flush=True)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that say how to read the data files."""
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="read --data as this format (default: .jsonl or .csv by extension); park2021, newsmtsc "
                             "and seesaw read the public datasets where they lie")
    parser.add_argument("--split", choices=("train", "valid", "test"), default=None,
                        help="with --format seesaw: the split to read (default: all)")
    parser.add_argument("--skip-invalid", action="store_true", help="use the valid rows, reporting the others")


def load_gazetteer(path: str | None) -> Gazetteer:
    """Load the gazetteer a CLI names: a file, the bundled one (default), or ``none`` (no known actors).

    With ``none`` sources and targets are matched as phrases of the text only: right for datasets whose entities
    are people the gazetteer would fold into their country ("Trump" and "the United States").
    """
    if path == "none":
        return Gazetteer([])
    try:
        return Gazetteer.load(path)
    except StancemapError as exc:
        say(f"error: {exc.message}")
        raise SystemExit(2) from exc


def load_or_exit(
    paths: list[Path], gazetteer: Gazetteer, *, require_stance: bool, skip_invalid: bool,
    fmt: str | None = None, split: str | None = None,
) -> list[Statement]:
    """Load statements, print every problem with file, line and field, and exit 2 on errors.

    With ``skip_invalid`` the valid rows are kept and the refused ones counted by reason.
    """
    try:
        result = load_statements(paths, gazetteer, require_stance=require_stance, fmt=fmt, split=split)
    except StancemapError as exc:
        say(f"error: {exc.message}")
        raise SystemExit(2) from exc
    for warning in result.warnings:
        say(f"warning: {warning}")
    if result.errors:
        for problem in result.errors:
            say(f"error: {problem}")
        reasons = Counter(f"{p.field}: {p.message.split(':')[0]}" for p in result.errors)
        if not skip_invalid:
            say(f"{result.skipped_lines} invalid row(s) in {len(paths)} file(s); fix them or pass --skip-invalid")
            raise SystemExit(2)
        say(f"skipped {result.skipped_lines} invalid row(s) (--skip-invalid):")
        for reason, count in reasons.most_common():
            say(f"  {count:>5}  {reason}")
    if not result.statements:
        say("error: no valid rows to use")
        raise SystemExit(2)
    say(f"loaded {len(result.statements)} row(s) from {len(paths)} file(s)")
    return result.statements
