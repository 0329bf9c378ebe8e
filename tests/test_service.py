"""Service tier: the JSON API through Flask's test client."""

from __future__ import annotations

import json

import jsonschema
import pytest
from openapi_spec_validator import validate

from service import create_app
from service.openapi import document

pytestmark = pytest.mark.model

STATEMENT = {"text": "L'Otan accuse la Russie de violer les sanctions imposées à la Corée du Nord.",
             "source": "Otan", "target": "Russie"}
STATEMENT_DYAD = (STATEMENT["text"], STATEMENT["source"], STATEMENT["target"])


@pytest.fixture
def app(models_dir):
    return create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False, "MAX_BATCH_ITEMS": 8,
                       "MAX_TEXT_CHARS": 500, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def schema_for(name: str) -> dict:
    """A JSON schema for one component, resolving references inside the OpenAPI document."""
    return {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    jsonschema.validate(response.json, schema_for("Problem"))
    assert response.json["status"] == status
    return response.json


def test_one_statement(client, model):
    response = client.post("/v1/stance", json=STATEMENT)
    assert response.status_code == 200
    body = response.json
    jsonschema.validate(body, schema_for("StanceResponse"))
    assert body["stance"]["label"] == "oppose"
    assert list(body["stance"]["scores"]) == ["support", "oppose", "neutral"]
    assert body["source"]["actor"] == "NATO" and body["target"]["actor"] == "RUS"
    assert body["model_version"] == model.version
    assert body["evidence"]


def test_batch_keeps_input_order(client):
    items = [STATEMENT, {**STATEMENT, "source": "Russie", "target": "Otan"},
             {"text": "Tokyo a salué l'accord conclu par Séoul.", "source": "Tokyo", "target": "Séoul"}]
    response = client.post("/v1/stance", json={"items": items})
    assert response.status_code == 200
    jsonschema.validate(response.json, schema_for("BatchResponse"))
    results = response.json["results"]
    assert [(r["source"]["actor"], r["target"]["actor"]) for r in results] == [("NATO", "RUS"), ("RUS", "NATO"),
                                                                             ("JPN", "KOR")]
    single = client.post("/v1/stance", json=items[2]).json
    assert results[2]["stance"] == single["stance"]


def test_one_bad_item_refuses_the_whole_batch(client):
    items = [STATEMENT, {"text": "ok", "source": 3, "target": "x"}, STATEMENT, {"source": "a", "target": "b"}]
    problem = assert_problem(client.post("/v1/stance", json={"items": items}), 400)
    assert [e["field"] for e in problem["errors"]] == ["items[1].source", "items[3].text"]
    assert "indices 1, 3" in problem["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "", "source": "a", "target": "b"}, "text"),
    ({"text": "Paris", "source": "a"}, "target"),
    ({"text": "x" * 501, "source": "a", "target": "b"}, "text"),
    ({"text": "a\x00b", "source": "a", "target": "b"}, "text"),
    ({"text": ["list"], "source": "a", "target": "b"}, "text"),
    ({"items": []}, "items"),
    ({"items": [STATEMENT] * 9}, "items"),
    ({"items": "nope"}, "items"),
])
def test_invalid_fields_named(client, body, field):
    problem = assert_problem(client.post("/v1/stance", json=body), 400)
    assert field in [e["field"] for e in problem["errors"]]


def test_malformed_json_wrong_type_and_too_large(client, app):
    assert_problem(client.post("/v1/stance", data="{oops", content_type="application/json"), 400)
    assert_problem(client.post("/v1/stance", data=b"\xff\xfe{", content_type="application/json"), 400)
    assert_problem(client.post("/v1/stance", data="[1, 2]", content_type="application/json"), 400)
    assert_problem(client.post("/v1/stance", data="text=x", content_type="text/plain"), 415)
    app.config["MAX_CONTENT_LENGTH"] = 100
    assert_problem(client.post("/v1/stance", json={**STATEMENT, "text": "x" * 200}), 413)


def test_unknown_route_and_method_are_problems(client):
    assert_problem(client.get("/v1/nothing"), 404)
    response = client.get("/v1/stance")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_request_id_echoed_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id; drop"}).headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "bad id; drop"
    assert client.get("/v1/nothing").headers["X-Request-ID"]


def test_model_info_and_actors(client, model):
    info = client.get("/v1/model").json
    jsonschema.validate(info, schema_for("ModelInfo"))
    assert info["version"] == model.version and info["refused"] is None
    assert info["labels"]["stance"] == ["support", "oppose", "neutral"]
    actors = client.get("/v1/actors?q=kreml").json
    jsonschema.validate(actors, schema_for("Actors"))
    assert [a["id"] for a in actors["actors"]] == ["RUS"]
    assert client.get("/v1/actors").json["count"] >= 120
    assert_problem(client.get("/v1/actors?limit=zero"), 400)


def test_probes(client, model, tmp_path):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready", "model_version": model.version}
    empty = create_app({"MODEL_DIR": str(tmp_path), "ACCESS_LOG": False}).test_client()
    assert empty.get("/healthz").status_code == 200
    assert_problem(empty.get("/readyz"), 503)
    assert_problem(empty.post("/v1/stance", json=STATEMENT), 503)


def test_broken_model_at_start_is_refused(models_dir, tmp_path):
    import shutil

    from stancemap.errors import ModelError

    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy, symlinks=True)
    artifact = (copy / "current").resolve() / "model.joblib"
    artifact.write_bytes(artifact.read_bytes()[:100])
    with pytest.raises(ModelError, match="checksum mismatch"):
        create_app({"MODEL_DIR": str(copy)})


def test_each_load_hands_the_freed_heap_back(models_dir, tmp_path, monkeypatch):
    import service.model_store as store

    calls = []
    monkeypatch.setattr(store, "release_free_heap", lambda: calls.append("trim"))
    app = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False})
    assert calls == ["trim"]
    loaded = app.extensions["stancemap"]
    with app.app_context():
        loaded.loaded_from = None  # as if current had moved: the next refresh loads the version again
        loaded.refresh(force=True)
    assert calls == ["trim", "trim"] and loaded.model is not None
    create_app({"MODEL_DIR": str(tmp_path), "ACCESS_LOG": False})
    assert calls == ["trim", "trim"]  # nothing was loaded


def test_heap_release_leaves_the_loaded_model_predicting_the_same(model):
    from service.model_store import release_free_heap

    before = model.predict([STATEMENT_DYAD])
    release_free_heap()
    release_free_heap()
    assert model.predict([STATEMENT_DYAD]) == before
    assert before[0]["stance"]["label"] == "oppose"


def test_admin_route_only_with_a_token(models_dir, model):
    plain = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False}).test_client()
    assert plain.post("/v1/admin/reload").status_code == 404
    assert "/v1/admin/reload" not in plain.get("/openapi.json").json["paths"]
    admin = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False, "ADMIN_TOKEN": "s3cret"}).test_client()
    assert_problem(admin.post("/v1/admin/reload"), 401)
    assert_problem(admin.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"}), 401)
    ok = admin.post("/v1/admin/reload", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json["model_version"] == model.version
    assert "/v1/admin/reload" in admin.get("/openapi.json").json["paths"]


def test_config_from_environment(models_dir, monkeypatch):
    monkeypatch.setenv("STANCEMAP_MODEL_DIR", str(models_dir))
    monkeypatch.setenv("STANCEMAP_MAX_BATCH_ITEMS", "3")
    app = create_app()
    assert app.config["MAX_BATCH_ITEMS"] == 3
    assert_problem(app.test_client().post("/v1/stance", json={"items": [STATEMENT] * 4}), 400)


def test_openapi_document_is_valid_and_matches_the_routes(app, client):
    spec = client.get("/openapi.json").json
    validate(spec)
    routes = {(rule.rule, method.lower()) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes == documented


def test_metrics_count_requests_and_predictions(client):
    client.post("/v1/stance", json={"items": [STATEMENT, STATEMENT]})
    text = client.get("/metrics").data.decode()
    assert 'stancemap_requests_total{method="POST",route="/v1/stance",status="200"}' in text
    assert 'stancemap_predictions_total{label="oppose",task="stance"}' in text
    assert "stancemap_batch_items_bucket" in text and "stancemap_model_info{" in text


def test_logs_are_json_lines(models_dir, capfd):
    app = create_app({"MODEL_DIR": str(models_dir)})
    app.test_client().get("/healthz", headers={"X-Request-ID": "log-me"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(e for e in lines if e.get("request_id") == "log-me")
    assert entry["path"] == "/healthz" and entry["status"] == 200 and entry["duration_ms"] >= 0


def test_document_refuses_what_the_service_refuses(client):
    """The request schemas carry the configured limits and rules, so generated 'valid' data is accepted."""
    spec = client.get("/openapi.json").json
    components = spec["components"]

    def body_schema(path: str) -> dict:
        return {**spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"],
                "components": components}

    accepted = [("/v1/stance", STATEMENT), ("/v1/stance", {"items": [STATEMENT] * 8}),
                ("/v1/stance", {**STATEMENT, "items": [STATEMENT]}),  # `items` makes it a batch
                ("/v1/analyze", {"text": STATEMENT["text"], "lang": None})]
    refused = [("/v1/stance", {"items": [STATEMENT] * 9}), ("/v1/stance", {**STATEMENT, "text": "x" * 501}),
               ("/v1/stance", {**STATEMENT, "source": " \x1c\x85"}), ("/v1/stance", {**STATEMENT, "target": "a\x00"}),
               ("/v1/stance", {**STATEMENT, "items": "nope"}), ("/v1/analyze", {"text": "\u3000"})]
    for path, body in accepted:
        jsonschema.validate(body, body_schema(path))
        assert client.post(path, json=body).status_code == 200, body
    for path, body in refused:
        assert not jsonschema.Draft202012Validator(body_schema(path)).is_valid(body), body
        assert_problem(client.post(path, json=body), 400)


def test_article_whose_pairs_would_read_too_much_is_refused_before_scoring(models_dir):
    # One run-on "sentence" naming many actors: every ordered pair reads the whole of it.
    names = ["France", "Allemagne", "Italie", "Espagne", "Pologne", "Japon", "Chine", "Inde", "Brésil", "Canada",
             "Mexique", "Turquie", "Iran", "Égypte", "Nigeria", "Kenya", "Chili", "Pérou", "Suède", "Norvège"]
    run_on = ", ".join(f"{name} a discuté avec ses voisins de la situation régionale" for name in names) + "."
    limited = create_app({"MODEL_DIR": str(models_dir), "ACCESS_LOG": False,
                          "MAX_ARTICLE_SCORED_CHARS": 100_000}).test_client()
    problem = assert_problem(limited.post("/v1/analyze", json={"text": run_on}), 422)
    assert "380 actor pairs" in problem["detail"] and "split it" in problem["detail"]
    assert problem["errors"][0]["field"] == "text"
    ordinary = "La France soutient l'Allemagne. Le Japon a condamné la Chine."
    assert limited.post("/v1/analyze", json={"text": ordinary}).status_code == 200
