from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from strangler_proxy.admin import AdminApp, AdminTokens, TokenError, create_admin_app
from strangler_proxy.routing import Mode, Route
from strangler_proxy.store import SqliteFlagStore
from tests.envelope import error_of
from tests.strangler_proxy.admin.serving import TOKEN, serve

ODD_ID = "GET,PUT /api/catalog/products/{pk:int}/"  # ids may hold "/", "," and spaces


@dataclass
class Admin:
    url: str
    store: SqliteFlagStore
    http: httpx.Client


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    store = SqliteFlagStore(tmp_path / "flags.sqlite3", create=True)
    store.register_service("catalog", ["http://127.0.0.1:8101"], actor="setup")
    store.upsert_routes(
        [
            Route(
                "catalog-products",
                frozenset({"GET"}),
                "/api/catalog/products/",
                "catalog",
                Mode.MONOLITH,
            ),
            Route(
                ODD_ID,
                frozenset({"GET", "PUT"}),
                "/api/catalog/products/{pk:int}/",
                None,
                Mode.MONOLITH,
            ),
            Route("any-api", frozenset(), "/api/{rest:path}", None, Mode.MONOLITH),
        ],
        actor="setup",
        reason="seed",
    )
    app = AdminApp(
        store,
        AdminTokens.parse(f"ci:{TOKEN},ops:another-token-abcdefgh"),
        metrics_text=lambda: 'strangler_requests_total{route="catalog-products"} 7\n',
        health_snapshot=lambda: {"catalog": {"http://127.0.0.1:8101": "up"}},
    )
    with (
        serve(app) as url,
        httpx.Client(
            base_url=url, headers={"authorization": f"Bearer {TOKEN}"}, trust_env=False
        ) as http,
    ):
        yield Admin(url, store, http)


def flip(admin: Admin, route_id: str, body: object, **kwargs: object) -> httpx.Response:
    return admin.http.patch(f"/routes/{quote(route_id)}", json=body, **kwargs)  # type: ignore[arg-type]


def quote(value: str) -> str:
    from urllib.parse import quote as q

    return q(value, safe="")


def test_health_needs_no_token(admin: Admin) -> None:
    assert httpx.get(admin.url + "/health", trust_env=False).json() == {"status": "ok"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", "Basic " + TOKEN, f"Bearer {TOKEN[:-1]}", "Bearer"],
)
def test_no_token_no_flip(admin: Admin, authorization: str | None) -> None:
    version = admin.store.version()
    headers = {} if authorization is None else {"authorization": authorization}
    with httpx.Client(base_url=admin.url, trust_env=False) as anonymous:
        for response in (
            anonymous.patch(
                "/routes/catalog-products",
                json={"mode": "service", "reason": "sneaky"},
                headers=headers,
            ),
            anonymous.get("/routes", headers=headers),
            anonymous.get("/metrics", headers=headers),
            anonymous.get("/no-such-thing", headers=headers),
        ):
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert error_of(response.content, 401)["code"] == "not_authenticated"
    assert admin.store.version() == version
    assert admin.store.get_route("catalog-products").mode is Mode.MONOLITH


def test_routes_are_listed_in_precedence_order(admin: Admin) -> None:
    listing = admin.http.get("/routes").json()
    assert listing["version"] == admin.store.version()
    assert [r["id"] for r in listing["routes"]] == ["catalog-products", ODD_ID, "any-api"]
    assert listing["routes"][1] == {
        "id": ODD_ID,
        "methods": ["GET", "PUT"],
        "template": "/api/catalog/products/{pk:int}/",
        "service": None,
        "mode": "monolith",
        "percent": 0,
        "priority": 0,
        "shadow_writes": False,
    }
    assert admin.http.get(f"/routes/{quote(ODD_ID)}").json()["id"] == ODD_ID


def test_a_flip_is_applied_and_audited_with_the_actor(admin: Admin) -> None:
    response = flip(
        admin,
        ODD_ID,
        {"mode": "canary", "percent": 10, "service": "catalog", "reason": "first 10%"},
        headers={"x-strangler-actor": "alice"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["mode"], response.json()["percent"]) == ("canary", 10)
    assert admin.store.load().get(ODD_ID).mode is Mode.CANARY  # type: ignore[union-attr]

    [record, *_] = admin.http.get(f"/routes/{quote(ODD_ID)}/history").json()["history"]
    assert record["actor"] == "alice (token ci)"
    assert record["reason"] == "first 10%"
    assert (record["before"]["mode"], record["after"]["mode"]) == ("monolith", "canary")
    everything = admin.http.get("/history", params={"limit": 2}).json()["history"]
    assert len(everything) == 2 and everything[0]["route"] == ODD_ID


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b"{not json", "body", "malformed JSON"),
        (b"[1, 2]", "body", "JSON object"),
        ({"mode": "sideways", "reason": "r"}, "mode", "unknown mode 'sideways'"),
        ({"mode": 3, "reason": "r"}, "mode", "must be a string"),
        (
            {"mode": "canary", "percent": "10", "service": "catalog", "reason": "r"},
            "percent",
            "integer",
        ),
        (
            {"mode": "canary", "percent": 150, "service": "catalog", "reason": "r"},
            "percent",
            "0 and 100",
        ),
        (
            {"mode": "canary", "percent": True, "service": "catalog", "reason": "r"},
            "percent",
            "integer",
        ),
        ({"mode": "service", "service": "nowhere", "reason": "r"}, "service", "unknown service"),
        ({"mode": "service", "service": "catalog"}, "reason", "non-empty"),
        ({"mode": "service", "service": "catalog", "reason": "  "}, "reason", "non-empty"),
        ({"reason": "r"}, "mode", "nothing to change"),
        ({"mode": "canary", "service": "catalog", "reason": "r"}, "percent", "canary needs"),
        ({"mode": "service", "percent": 30, "reason": "r"}, "percent", "only mode canary"),
        ({"mode": "shadow", "percent": 0, "reason": "r"}, "percent", "only mode canary"),
        ({"percent": 30, "reason": "r"}, "percent", "only mode canary"),
        ({"mode": "service", "reason": "r", "colour": "red"}, "colour", "unknown field"),
        ({"shadow_writes": "yes", "reason": "r"}, "shadow_writes", "true or false"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_nothing_changes(
    admin: Admin, body: object, field: str, message: str
) -> None:
    version = admin.store.version()
    if isinstance(body, bytes):
        response = admin.http.patch(
            "/routes/catalog-products", content=body, headers={"content-type": "application/json"}
        )
    else:
        response = flip(admin, "catalog-products", body)
    assert response.status_code == 400, response.text
    error = error_of(response.content, 400)
    assert (error["code"], list(error["fields"])) == ("validation_error", [field])
    assert message in error["message"]
    assert admin.store.version() == version


def test_a_flip_away_from_canary_stores_no_stale_percent(admin: Admin) -> None:
    canary = {"mode": "canary", "percent": 30, "service": "catalog", "reason": "30%"}
    assert flip(admin, "catalog-products", canary).status_code == 200
    response = flip(admin, "catalog-products", {"mode": "service", "reason": "all in"})
    assert response.status_code == 200, response.text
    assert (response.json()["mode"], response.json()["percent"]) == ("service", 0)
    assert admin.store.get_route("catalog-products").percent == 0


def test_shadow_writes_is_set_on_its_own_and_audited(admin: Admin) -> None:
    response = flip(admin, "catalog-products", {"shadow_writes": True, "reason": "disposable db"})
    assert response.status_code == 200, response.text
    assert response.json()["shadow_writes"] is True
    assert admin.store.get_route("catalog-products").shadow_writes
    [record] = admin.http.get("/routes/catalog-products/history?limit=1").json()["history"]
    assert (record["before"]["shadow_writes"], record["after"]["shadow_writes"]) == (False, True)
    assert record["reason"] == "disposable db"


def test_unknown_route_is_404(admin: Admin) -> None:
    for response in (
        admin.http.get("/routes/nope"),
        flip(admin, "nope", {"mode": "monolith", "reason": "r"}),
        admin.http.get("/routes/nope/history"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "error": {
                "status": 404,
                "code": "not_found",
                "message": "route: unknown route 'nope'",
                "fields": {"route": ["route: unknown route 'nope'"]},
            }
        }


def test_wrong_method_wrong_path_and_oversized_body(admin: Admin) -> None:
    response = admin.http.delete("/routes/catalog-products")
    assert response.status_code == 405 and response.headers["allow"] == "GET, PATCH"
    assert error_of(response.content, 405)["code"] == "method_not_allowed"
    assert error_of(admin.http.get("/nothing/here").content, 404)["code"] == "not_found"
    huge = {"mode": "service", "reason": "x" * 70_000}
    response = flip(admin, "catalog-products", huge)
    assert (response.status_code, list(error_of(response.content)["fields"])) == (413, ["body"])
    response = admin.http.get("/history", params={"limit": "lots"})
    assert (response.status_code, list(error_of(response.content)["fields"])) == (400, ["limit"])


def test_services_register_list_and_health(admin: Admin) -> None:
    response = admin.http.post(
        "/services",
        json={"name": "orders", "urls": ["http://127.0.0.1:8102/"], "reason": "new service"},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"name": "orders", "instances": ["http://127.0.0.1:8102"]}
    services = admin.http.get("/services").json()["services"]
    assert [(s["name"], s["health"]) for s in services] == [
        ("catalog", {"http://127.0.0.1:8101": "up"}),
        ("orders", None),
    ]
    health = admin.http.get("/services/catalog/health").json()
    assert health["health"] == {"http://127.0.0.1:8101": "up"}
    assert admin.http.get("/services/nope/health").status_code == 404
    assert admin.store.history()[0].actor == "ci"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Orders", "urls": ["http://127.0.0.1:1"]}, "name"),
        ({"name": "orders", "urls": "http://127.0.0.1:1"}, "urls"),
        ({"name": "orders", "urls": []}, "urls"),
        ({"name": "orders", "urls": ["mailto:x@y"]}, "urls"),
        ({"urls": ["http://127.0.0.1:1"]}, "name"),
        ({"name": "orders", "urls": ["http://127.0.0.1:1"], "weight": 3}, "weight"),
    ],
)
def test_bad_service_is_400_naming_the_field(admin: Admin, body: object, field: str) -> None:
    response = admin.http.post("/services", json=body)
    assert (response.status_code, list(error_of(response.content, 400)["fields"])) == (400, [field])
    assert [s.name for s in admin.store.services()] == ["catalog"]


def test_health_from_the_engine_workers_view(tmp_path: Path) -> None:
    """The engine reports health per worker: {"workers": [{"pid", "health": {service: [...]}}]}."""
    store = SqliteFlagStore(tmp_path / "flags.sqlite3", create=True)
    store.register_service("catalog", ["http://127.0.0.1:8101"], actor="setup")
    instance = {"url": "http://127.0.0.1:8101", "healthy": False, "ejected": True}
    snapshot = {
        "workers": [{"pid": 11, "health": {"catalog": [instance]}}, {"pid": 12, "health": {}}]
    }
    app = create_admin_app(store=store, token=TOKEN, health_snapshot=lambda: snapshot)
    with serve(app) as url:
        response = httpx.get(
            url + "/services/catalog/health",
            headers={"authorization": f"Bearer {TOKEN}"},
            trust_env=False,
        )
    assert response.json() == {
        "name": "catalog",
        "instances": ["http://127.0.0.1:8101"],
        "health": [{"pid": 11, "instances": [instance]}],
    }


def test_no_token_configured_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRANGLER_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("STRANGLER_ADMIN_TOKENS", raising=False)
    store = SqliteFlagStore(tmp_path / "flags.sqlite3", create=True)
    with pytest.raises(TokenError, match="no token, no flip"):
        create_admin_app(store=store, token="")
    with pytest.raises(TokenError, match="too short"):
        create_admin_app(store=store, token="short")


def test_metrics_come_from_the_data_plane(admin: Admin) -> None:
    response = admin.http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'strangler_requests_total{route="catalog-products"} 7' in response.text


def test_standalone_admin_refuses_a_public_host_and_a_missing_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from strangler_proxy.admin.__main__ import main

    store = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    with pytest.raises(SystemExit) as exit_info:
        main(["--store", store, "--host", "0.0.0.0"])
    assert exit_info.value.code == 2
    assert "not loopback; add --allow-remote" in capsys.readouterr().err
    monkeypatch.delenv("STRANGLER_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("STRANGLER_ADMIN_TOKENS", raising=False)
    assert main(["--store", store, "--port", "1"]) == 2
    assert "no token, no flip" in capsys.readouterr().err


def test_concurrent_flips_are_all_applied_and_audited(admin: Admin) -> None:
    from concurrent.futures import ThreadPoolExecutor

    start = admin.store.version()

    def flip_many(worker: int) -> list[int]:
        with httpx.Client(
            base_url=admin.url, headers={"authorization": f"Bearer {TOKEN}"}, trust_env=False
        ) as http:
            return [
                http.patch(
                    "/routes/catalog-products",
                    json={"mode": "canary", "percent": i, "reason": f"worker {worker} step {i}"},
                ).status_code
                for i in range(10)
            ]

    with ThreadPoolExecutor(4) as pool:
        statuses = [s for batch in pool.map(flip_many, range(4)) for s in batch]
    assert statuses == [200] * 40
    assert admin.store.version() == start + 40
    records = admin.store.history("catalog-products", limit=100)
    assert sorted(r.version for r in records if r.action == "set") == list(
        range(start + 1, start + 41)
    )
