"""What the training CLIs share: reading data files with a full report of every problem."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from stancemap.errors import StancemapError
from stancemap.gazetteer import Gazetteer
from stancemap.loading import load_statements
from stancemap.schema import Statement


def say(message: str) -> None:
    """Print a progress line on standard error, so standard output stays for results."""
    print(message, file=sys.stderr, flush=True)


def load_or_exit(
    paths: list[Path], gazetteer: Gazetteer, *, require_stance: bool, skip_invalid: bool
) -> list[Statement]:
    """Load statements, print every problem with file, line and field, and exit 2 on errors.

    With ``skip_invalid`` the valid rows are kept and the refused ones counted by reason.
    """
    try:
        result = load_statements(paths, gazetteer, require_stance=require_stance)
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
