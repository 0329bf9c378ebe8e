"""End-to-end tier: the web page in headless Chromium (Debian's, driven by Playwright) against a live gunicorn."""

from __future__ import annotations

import shutil

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.live import gunicorn
from tests.test_article import EXAMPLE, EXPECTED_EDGES

pytestmark = pytest.mark.model

# Chromium must not reach for Google's services: this machine has no network beyond the package registries.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Debian's chromium is needed (apt-get install chromium); .ci/run installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_page_draws_the_expected_edges_and_highlights_evidence(browser, models_dir, tmp_path):
    with gunicorn(models_dir, tmp_path) as server:
        api_edges = requests.post(server.url + "/v1/analyze", json={"text": EXAMPLE}, timeout=60).json()
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        response = page.goto(server.url + "/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.click("button[data-lang=en]")
        page.get_by_label("Article (French or English)").fill(EXAMPLE)
        page.get_by_role("button", name="Analyze").click()
        page.wait_for_selector("#graph g.edge")
        drawn = {(g.get_attribute("data-source"), g.get_attribute("data-target"), g.get_attribute("data-stance"))
                 for g in page.query_selector_all("#graph g.edge")}
        assert drawn >= EXPECTED_EDGES
        assert drawn == {(e["source"], e["target"], e["stance"]) for e in api_edges["graph"]["edges"]}

        edge = page.locator('#graph g.edge[data-source="NATO"][data-target="RUS"]')
        edge.focus()
        page.keyboard.press("Enter")
        highlighted = page.locator("#text .sentence.highlight")
        assert highlighted.count() >= 1 and "Otan" in highlighted.first.inner_text()
        page.screenshot(path=str(tmp_path / "stance-graph.png"), full_page=True)

        page.click("button[data-lang=fr]")
        assert page.get_by_role("button", name="Analyser").is_visible()
        page.get_by_label("Article (français ou anglais)").fill("   ")
        page.get_by_role("button", name="Analyser").click()
        assert page.get_by_role("alert").inner_text() == "Collez d'abord un article."
        assert not errors, errors
    assert (tmp_path / "stance-graph.png").stat().st_size > 10_000


def test_page_shows_api_errors_in_plain_words(browser, models_dir, tmp_path):
    with gunicorn(models_dir, tmp_path, STANCEMAP_MAX_ARTICLE_CHARS="50") as server:
        page = browser.new_page()
        page.goto(server.url + "/")
        page.click("button[data-lang=en]")
        page.get_by_label("Article (French or English)").fill("La France soutient l'Allemagne. " * 5)
        page.get_by_role("button", name="Analyze").click()
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "Invalid input" in alert.inner_text() and "the limit is 50" in alert.inner_text()
