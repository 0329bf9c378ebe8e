"""Audit the installed packages for known vulnerabilities with pip-audit, honouring reasoned waivers.

Usage: python tools/audit.py [--waivers .pip-audit-waivers] [--strict] [--report pip-audit.json]

Runs ``pip-audit --skip-editable -f json`` on this environment (PyPI's advisory data, over the network) and
exits 1 if any vulnerability is found that ``.pip-audit-waivers`` does not waive. Each waiver line is
``ID  # reason`` (the ID or one of its aliases: PYSEC-..., GHSA-..., CVE-...); a waiver without a reason is
an error (exit 2). Packages pip-audit could not check (no network, an index without the JSON API) are listed
with a loud warning: that is exit 0, since nothing known was found, unless ``--strict`` (then exit 1).
``--report`` reads a saved ``pip-audit -f json`` report instead of running pip-audit.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_WAIVER = re.compile(r"^(?P<id>[A-Za-z0-9][A-Za-z0-9._:-]*)\s+#\s*(?P<reason>\S.*)$")


def read_waivers(path: Path) -> dict[str, str]:
    """Return waived vulnerability ID -> reason; raise ValueError naming each line without a reason."""
    waivers: dict[str, str] = {}
    bad = []
    if not path.exists():
        return waivers
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _WAIVER.match(line)
        if match is None:
            bad.append(f"{path.name}:{number}: {line!r}: write 'ID  # why it is waived'")
        else:
            waivers[match["id"]] = match["reason"]
    if bad:
        raise ValueError("\n".join(bad))
    return waivers


def run_pip_audit() -> dict[str, Any]:
    """Run pip-audit on this environment and return its JSON report."""
    done = subprocess.run([sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off",
                           "--format", "json", "--aliases", "on"], capture_output=True, text=True, cwd=ROOT)
    if not done.stdout.strip():
        raise RuntimeError(f"pip-audit gave no report (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def judge(report: dict[str, Any], waivers: dict[str, str]) -> tuple[list[str], list[str], list[str], int]:
    """Sort a pip-audit report into (unwaived findings, waived findings, not audited, packages audited)."""
    found, waived, skipped, audited = [], [], [], 0
    for dependency in report.get("dependencies", []):
        reason = dependency.get("skip_reason")
        if reason:
            if "editable" not in reason:
                skipped.append(f"{dependency['name']}: {reason}")
            continue
        audited += 1
        for vuln in dependency.get("vulns", []):
            names = [vuln["id"], *vuln.get("aliases", [])]
            line = (f"{dependency['name']} {dependency['version']}: {' / '.join(names)}"
                    f" (fixed in {', '.join(vuln.get('fix_versions') or ['no release yet'])})")
            waiver = next((waivers[name] for name in names if name in waivers), None)
            if waiver:
                waived.append(f"{line}; waived: {waiver}")
            else:
                found.append(line)
    return found, waived, skipped, audited


def main(argv: list[str] | None = None) -> int:
    """Audit, print what was found, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waivers", type=Path, default=ROOT / ".pip-audit-waivers")
    parser.add_argument("--strict", action="store_true", help="also fail when a package could not be audited")
    parser.add_argument("--report", type=Path, help="judge this saved pip-audit JSON report instead of running it")
    args = parser.parse_args(argv)
    try:
        waivers = read_waivers(args.waivers)
    except ValueError as exc:
        print(f"audit: waivers without a reason:\n{exc}", file=sys.stderr)
        return 2
    report = json.loads(args.report.read_text(encoding="utf-8")) if args.report else run_pip_audit()
    found, waived, skipped, audited = judge(report, waivers)
    for line in waived:
        print(f"audit: {line}")
    if skipped:
        print(f"audit: WARNING: {len(skipped)} package(s) could NOT be audited (is PyPI's JSON API reachable?):",
              file=sys.stderr)
        for line in skipped[:5]:
            print(f"  {line}", file=sys.stderr)
        if len(skipped) > 5:
            print(f"  ... and {len(skipped) - 5} more", file=sys.stderr)
    for line in found:
        print(f"audit: VULNERABLE: {line}", file=sys.stderr)
    print(f"audit: {audited} package(s) audited, {len(found)} known vulnerabilit(ies) not waived, "
          f"{len(waived)} waived, {len(skipped)} not audited")
    if found:
        print("audit: upgrade the pin in constraints.txt (and run the tests), or waive the ID with a reason in "
              f"{args.waivers.name}", file=sys.stderr)
        return 1
    return 1 if skipped and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
