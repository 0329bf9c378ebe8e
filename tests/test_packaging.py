"""Code tier: what the Dockerfile, Makefile and CI script name exists, since Docker cannot run here."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch

from tests.live import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SCRIPTS = set(PYPROJECT["project"]["scripts"])


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_copied_paths_exist():
    for args in instructions("COPY"):
        if "--from=" in args:
            continue
        *sources, _ = args.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def test_commands_are_our_entry_points():
    named = re.findall(r"stancemap-[a-z]+", " ".join(instructions("RUN") + instructions("CMD")))
    assert named and set(named) <= SCRIPTS
    [cmd] = instructions("CMD")
    assert json.loads(cmd) == ["stancemap-serve"]  # exec form: stancemap-serve execs gunicorn as PID 1


def test_runs_as_non_root_with_a_python_healthcheck_on_a_real_route():
    [user] = instructions("USER")
    assert user.strip() not in ("root", "0")
    [health] = instructions("HEALTHCHECK")
    assert '"python"' in health and "/readyz" in health
    from service.openapi import PATHS

    assert "/readyz" in PATHS


def test_constraints_pin_every_dependency():
    pins = {line.split("==")[0].lower().replace("_", "-")
            for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    extras = PYPROJECT["project"]["optional-dependencies"]
    wanted = PYPROJECT["project"]["dependencies"] + extras["test"] + extras["batch"]
    names = {re.split(r"[<>=!~\[ ]", dep)[0].lower().replace("_", "-") for dep in wanted}
    assert names <= pins, names - pins
    assert "constraints.txt" in DOCKERFILE and "constraints.txt" in (ROOT / "Makefile").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_data_file_of_the_service_is_declared():
    """A wheel (the Dockerfile's ``pip install .``) ships only declared files: the web page and gunicorn's config."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    data = setuptools["package-data"]
    assert set(data) <= set(setuptools["packages"])
    wanted = [ROOT / "service" / "gunicorn.conf.py", *(ROOT / "service" / "static").iterdir()]
    for path in wanted:
        package = path.parent.relative_to(ROOT).as_posix().replace("/", ".")
        assert any(fnmatch(path.name, pattern) for pattern in data.get(package, [])), path
