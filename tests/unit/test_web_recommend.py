"""The web API: GET /health, /recommend/{user}, /similar/{item}, and its JSON error bodies."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from muselab.errors import InvalidInputError
from muselab.recommend import Interactions, create_recommender
from muselab.recommend.serving import MAX_K, RecommendService, save_model_dir
from muselab.recommend.store import Item, Store
from muselab.web import create_app

with warnings.catch_warnings():  # starlette nudges towards httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def cluster_data() -> Interactions:
    """Odd users play a, b, c; even users x, y, z; user u(n) misses item n % 3 of their three."""
    users, items, weights = [], [], []
    for u in range(1, 13):
        mine = ["a", "b", "c"] if u % 2 else ["x", "y", "z"]
        for n, it in enumerate(mine):
            if n == u % 3 and u > 2:
                continue
            users.append(f"u{u}")
            items.append(it)
            weights.append(1 + (u + n) % 5)
    return Interactions.from_arrays(users, items, weights)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = create_recommender("itemknn", ["k=10"]).fit(cluster_data())
    out = tmp_path_factory.mktemp("web") / "knn"
    save_model_dir(
        model,
        out,
        catalogue=[Item("a", "Abba", "https://example.org/abba"), Item("c", "Cure"), Item("q")],
    )
    return out


@pytest.fixture(scope="module")
def client(model_dir: Path) -> TestClient:
    return TestClient(create_app(model_dir=model_dir))


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> Any:
    r = client.get(url, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def test_health(client: TestClient) -> None:
    body = get(client, "/health")
    assert body["status"] == "ok" and body["model"] == "itemknn"
    assert (body["users"], body["items"], body["catalogue"]) == (12, 6, 2)
    assert "fitted_at" in body


def test_recommend_known_user(client: TestClient) -> None:
    body = get(client, "/recommend/u7", k=2)  # u7 misses b (7 % 3 == 1)
    assert body["user"] == "u7" and body["known_user"] is True and body["model"] == "itemknn"
    first = body["items"][0]
    assert first["item"] == "b" and first["rank"] == 1 and first["source"] == "model"
    assert "name" not in first  # b has no catalogue entry: no null fields
    assert len(body["items"]) == 2
    assert {it["item"] for it in body["items"]}.isdisjoint({"a", "c"})  # seen items excluded
    seen = get(client, "/recommend/u7", k=6, exclude_seen="false")
    assert {"a", "c"} <= {it["item"] for it in seen["items"]}


def test_recommend_names_links_and_explanations(client: TestClient) -> None:
    body = get(client, "/recommend/u3", k=1, explain="true")  # u3 misses a
    top = body["items"][0]
    assert top["item"] == "a" and top["name"] == "Abba"
    assert top["url"] == "https://example.org/abba"
    assert top["because"].startswith("because you listened to")
    assert "Cure" in top["because"]  # labels come from the catalogue


def test_unknown_user_gets_popular_items_or_404(client: TestClient) -> None:
    body = get(client, "/recommend/nobody", k=3)
    assert body["known_user"] is False
    assert len(body["items"]) == 3
    assert {it["source"] for it in body["items"]} == {"popularity"}
    err = get(client, "/recommend/nobody", 404, fallback="false")
    assert err == {"error": "unknown user 'nobody': the model was not fitted on it"}


@pytest.mark.parametrize("k", ["0", str(MAX_K + 1), "ten", "2.5"])
def test_k_out_of_range_is_422(client: TestClient, k: str) -> None:
    for url in ("/recommend/u1", "/similar/a"):
        err = get(client, url, 422, k=k)
        assert list(err) == ["error"] and err["error"].startswith("k: ")
        assert repr(k) in err["error"]


def test_recommend_for_a_listeners_own_library(client: TestClient) -> None:
    r = client.post("/recommend", json={"items": {"x": 5, "y": 2, "unheard": 9}, "k": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["known_items"] == 2
    assert body["items"][0]["item"] == "z" and body["items"][0]["source"] == "model"
    r = client.post("/recommend", json={"items": ["a"], "k": 3, "exclude_seen": False})
    assert {it["item"] for it in r.json()["items"]} >= {"b", "c"}
    cold = client.post("/recommend", json={"items": ["nothing-known"], "k": 2}).json()
    assert cold["known_items"] == 0
    assert {it["source"] for it in cold["items"]} == {"popularity"}
    for bad in ({"items": {}}, {"items": ["a"], "k": 0}, {"k": 3}, {"items": {"a": "lots"}}):
        r = client.post("/recommend", json=bad)
        assert r.status_code == 422 and list(r.json()) == ["error"], r.text
    r = client.post(
        "/recommend", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"].startswith("the request body is not valid JSON")


def test_similar(client: TestClient) -> None:
    body = get(client, "/similar/x", k=2)
    assert body["item"] == "x" and body["known_item"] is True
    assert {it["item"] for it in body["items"]} == {"y", "z"}
    assert get(client, "/similar/nope", 404) == {
        "error": "unknown item 'nope': the model was not fitted on it and has no content "
        "features for it"
    }


def test_unknown_route_and_method(client: TestClient) -> None:
    assert get(client, "/nothing/here", 404)["error"].startswith("no route '/nothing/here'")
    r = client.post("/recommend/u1")
    assert r.status_code == 405 and list(r.json()) == ["error"]


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = get(client, "/openapi.json")["paths"]
    assert {"/health", "/recommend/{user}", "/recommend", "/similar/{item}"} <= set(paths)


def test_store_names_override_the_folder_catalogue(model_dir: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "cat.db") as store:
        store.upsert_items([Item("a", "ABBA (store)"), Item("y", "Yes", "https://example.org/y")])
        app = create_app(model_dir=model_dir, store=store)
    c = TestClient(app)
    names = {it["item"]: it.get("name") for it in get(c, "/similar/x", k=2)["items"]}
    assert names["y"] == "Yes"
    assert get(c, "/recommend/u3", k=1)["items"][0]["name"] == "ABBA (store)"


def test_internal_error_is_500_json(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = RecommendService.from_dir(model_dir)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "recommend", boom)
    c = TestClient(create_app(service=service), raise_server_exceptions=False)
    r = c.get("/recommend/u1")
    assert r.status_code == 500
    assert r.json() == {"error": "internal error: RuntimeError (a bug in muselab)"}


def test_without_a_model_the_recommend_routes_are_503(tmp_path: Path) -> None:
    c = TestClient(create_app())  # compose and analyse only
    assert get(c, "/health") == {"status": "ok", "model": None}
    expected = {"error": "no recommender loaded; start with muselab serve --model DIR"}
    assert get(c, "/recommend/u1", 503) == expected
    assert get(c, "/similar/a", 503, k=2) == expected
    r = c.post("/recommend", json={"items": ["a"], "k": 2})
    assert r.status_code == 503 and r.json() == expected
    with pytest.raises(InvalidInputError, match="does not exist"):
        create_app(model_dir=tmp_path / "missing")
