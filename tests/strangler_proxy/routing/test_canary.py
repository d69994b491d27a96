import pytest

from strangler_proxy.routing import (
    BUCKETS,
    canary_bucket,
    client_key,
    cookie_client_key,
    in_canary,
    is_anonymous,
)


def test_bucket_is_stable_and_in_range() -> None:
    first = canary_bucket("addr:10.0.0.1", "catalog-products")
    assert first == canary_bucket("addr:10.0.0.1", "catalog-products")
    assert 0 <= first < BUCKETS
    # Pinned values: the hash must not change between releases, or every canary reshuffles.
    assert first == 3680
    assert canary_bucket("user-1", "route-a") == 119


def test_buckets_spread_evenly() -> None:
    keys = [f"addr:10.0.{i // 256}.{i % 256}" for i in range(10_000)]
    share = sum(in_canary(k, "orders", 30) for k in keys) / len(keys)
    assert 0.28 < share < 0.32


def test_routes_split_independently() -> None:
    keys = [f"cookie:{i}" for i in range(2_000)]
    a = {k for k in keys if in_canary(k, "route-a", 50)}
    b = {k for k in keys if in_canary(k, "route-b", 50)}
    assert a != b


def test_monotone_as_percent_grows() -> None:
    keys = [f"cookie:{i}" for i in range(3_000)]
    previous: set[str] = set()
    for percent in range(0, 101, 5):
        inside = {k for k in keys if in_canary(k, "checkout", percent)}
        assert previous <= inside, f"a client left the canary when it grew to {percent}%"
        previous = inside
    assert not {k for k in keys if in_canary(k, "checkout", 0)}
    assert previous == set(keys)  # 100% is everyone


def test_client_key_prefers_the_authenticated_user() -> None:
    headers = {
        "authorization": "Bearer secret-token",
        "cookie": "sessionid=s1; strangler_client=c1",
    }
    key = client_key(headers, "10.0.0.1")
    assert key.startswith("auth:")
    assert "secret-token" not in key  # credentials are hashed, never kept
    assert key == client_key({"authorization": "Bearer secret-token"}, "10.9.9.9")


@pytest.mark.parametrize(
    ("headers", "addr", "prefix"),
    [
        ({"cookie": "a=1; sessionid=s1; strangler_client=c1"}, "10.0.0.1", "session:"),
        ({"cookie": "strangler_client=c1"}, "10.0.0.1", "cookie:c1"),
        ({"cookie": "strangler_client="}, "10.0.0.1", "addr:10.0.0.1"),
        ({"cookie": "garbage;;=x"}, "10.0.0.1", "addr:10.0.0.1"),
        ({}, None, "anonymous"),
    ],
)
def test_client_key_falls_back(headers: dict[str, str], addr: str | None, prefix: str) -> None:
    assert client_key(headers, addr).startswith(prefix)


def test_a_cookie_key_is_what_the_client_gets_once_it_sends_the_cookie_back() -> None:
    sent_back = client_key({"cookie": "a=1; strangler_client=c0ffee"}, "10.0.0.1")
    assert sent_back == cookie_client_key("c0ffee")
    assert not is_anonymous(sent_back)


@pytest.mark.parametrize(
    ("headers", "addr", "anonymous"),
    [
        ({}, "10.0.0.1", True),
        ({}, None, True),
        ({"cookie": "strangler_client=abc"}, "10.0.0.1", False),
        ({"cookie": "sessionid=s1"}, "10.0.0.1", False),
        ({"authorization": "Bearer t"}, "10.0.0.1", False),
    ],
)
def test_only_a_client_known_by_its_address_alone_is_anonymous(
    headers: dict[str, str], addr: str | None, anonymous: bool
) -> None:
    assert is_anonymous(client_key(headers, addr)) is anonymous
