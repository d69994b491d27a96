"""``seed_shop`` through the real manage.py, on fresh SQLite files."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import monolith_env, prepare_monolith_db
from tests.legacy_monolith.shop_db import dump, manage


@pytest.fixture(scope="module")
def two_seeded_dbs(tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    envs = []
    for name in ("first", "second"):
        env = monolith_env(tmp_path_factory.mktemp(name))
        prepare_monolith_db(env, size="tiny")
        envs.append(env)
    return envs[0], envs[1]


def test_same_seed_gives_identical_data(two_seeded_dbs):
    first, second = (dump(env) for env in two_seeded_dbs)
    assert len(first) > 200
    assert first == second


def test_seeded_data_has_the_demo_accounts_and_every_kind_of_row(two_seeded_dbs):
    rows = dump(two_seeded_dbs[0])
    users = {r["fields"]["username"]: r["fields"] for r in rows if r["model"] == "auth.user"}
    assert users["staff"]["is_staff"] is True
    assert {f"customer{n:04d}" for n in range(1, 7)} <= set(users)
    kinds = Counter(r["model"] for r in rows)
    for model in (
        "orders.orderline",
        "inventory.reservation",
        "payments.refund",
        "reviews.reviewvote",
        "notifications.notification",
        "shipping.shipment",
    ):
        assert kinds[model] > 0, model


def test_refuses_a_non_empty_database(two_seeded_dbs):
    result = manage(two_seeded_dbs[0], "seed_shop", "--size", "tiny")
    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert "--flush" in result.stderr


def test_if_empty_leaves_a_seeded_database_alone(two_seeded_dbs):
    before = dump(two_seeded_dbs[0])
    result = manage(two_seeded_dbs[0], "seed_shop", "--size", "tiny", "--if-empty")
    assert result.returncode == 0, result.stderr
    assert "already holds data" in result.stdout
    assert dump(two_seeded_dbs[0]) == before


def test_flush_reseeds_and_another_seed_gives_other_data(two_seeded_dbs):
    first, second = two_seeded_dbs
    result = manage(second, "seed_shop", "--size", "tiny", "--seed", "7", "--flush")
    assert result.returncode == 0, result.stderr
    assert "auth.User" in result.stdout  # the summary table
    other = dump(second)
    original = dump(first)
    assert [r["model"] for r in other if r["model"] == "catalog.category"] == [
        r["model"] for r in original if r["model"] == "catalog.category"
    ]
    assert other != original


def test_unknown_size_is_refused_clearly(two_seeded_dbs):
    result = manage(two_seeded_dbs[0], "seed_shop", "--size", "huge")
    assert result.returncode != 0
    assert "invalid choice: 'huge'" in result.stderr
