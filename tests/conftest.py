"""Shared fixtures: the bundled gazetteer and corpus, and one model trained on the corpus per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from stancemap.gazetteer import Gazetteer
from stancemap.loading import LoadResult, load_statements
from stancemap.runtime import StanceModel
from stancemap.schema import Statement
from stancemap.trainer import default_data_files, train
from tests.live import Server, gunicorn

ROOT = Path(__file__).resolve().parent.parent

# Property tests (chosen in pyproject.toml's pytest addopts): no per-example deadline, since timings on a shared
# 2-core machine say nothing; "ci" is the default, "long" searches harder (pytest --hypothesis-profile=long).
settings.register_profile("ci", deadline=None, max_examples=100, print_blob=True)
settings.register_profile("long", deadline=None, max_examples=2000, print_blob=True)


SMALL_GAZETTEER = """
[RUS]
kind = "country"
demonyms = { fr = ["russe"], en = ["Russian"] }
aliases.fr = ["Moscou", "Kremlin", "Poutine"]
aliases.en = ["Moscow", "Putin"]

[PRK]
kind = "country"
demonyms = { fr = ["nord-coréen"], en = ["North Korean"] }
aliases.fr = ["Pyongyang"]

[KOR]
kind = "country"
demonyms = { fr = ["sud-coréen"] }

[USA]
kind = "country"
aliases.en = ["US", "Washington"]

[UN]
kind = "organization"
name = "United Nations"
aliases.fr = ["ONU", "Nations unies"]
aliases.en = ["UN"]

[COD]
kind = "country"
demonyms = { fr = ["congolais"] }

[COG]
kind = "country"
demonyms = { fr = ["congolais"] }
"""


@pytest.fixture
def small(tmp_path: Path) -> Gazetteer:
    """A gazetteer of a few actors, independent of data/actors.toml."""
    path = tmp_path / "actors.toml"
    path.write_text(SMALL_GAZETTEER, encoding="utf-8")
    return Gazetteer.load(path)


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="session")
def corpus_load(gazetteer: Gazetteer) -> LoadResult:
    """The bundled corpus loaded once per session: its statements and what the loader said about them."""
    result = load_statements(default_data_files(), gazetteer)
    assert not result.errors, "\n".join(map(str, result.errors[:20]))
    return result


@pytest.fixture(scope="session")
def corpus(corpus_load: LoadResult) -> list[Statement]:
    return corpus_load.statements


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory, corpus: list[Statement], gazetteer: Gazetteer) -> Path:
    out = tmp_path_factory.mktemp("models")
    # Two processes fit the two heads side by side: nothing else runs while the session's model is trained.
    train(corpus, gazetteer, out, data_files=default_data_files(), folds=0, n_jobs=2)
    return out


@pytest.fixture(scope="session")
def model(models_dir: Path) -> StanceModel:
    return StanceModel.load(models_dir)


LIVE_ADMIN_TOKEN = "live-admin-token-for-tests"


@pytest.fixture(scope="session")
def live(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real gunicorn with the admin route enabled, shared by the fuzz, hostile-input and security tests."""
    with gunicorn(models_dir, tmp_path_factory.mktemp("live"), STANCEMAP_ADMIN_TOKEN=LIVE_ADMIN_TOKEN,
                  STANCEMAP_ACCESS_LOG="false") as server:
        yield server
