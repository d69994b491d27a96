"""A canary keeps an anonymous browser on one side: its first answer sets a
``strangler_client`` cookie that decides every later request (all these clients share one
address, so without the cookie they would all land on the same side)."""

from __future__ import annotations

import httpx

from tests.strangler_proxy.proxy_stack import Running

COOKIE_ATTRIBUTES = "; Path=/; HttpOnly; SameSite=Lax"


def canary_cookie(response: httpx.Response) -> str | None:
    """Our ``Set-Cookie`` (the stand-ins set cookies of their own)."""
    ours = [c for c in response.headers.get_list("set-cookie") if c.startswith("strangler_client=")]
    assert len(ours) <= 1
    return ours[0] if ours else None


def side(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    served_by: str = response.json().get("served_by", "?")
    return served_by


def test_the_first_answer_sets_the_cookie_and_it_keeps_the_browser_on_one_side(
    edge: Running,
) -> None:
    with httpx.Client(base_url=edge.url, trust_env=False) as browser:
        first = browser.get("/split/home")
        set_cookie = canary_cookie(first)
        assert set_cookie is not None and set_cookie.endswith(COOKIE_ATTRIBUTES)
        client_id = set_cookie.split(";", 1)[0].split("=", 1)[1]
        assert len(client_id) >= 16
        assert browser.cookies["strangler_client"] == client_id
        later = [browser.get(f"/split/page/{i}") for i in range(40)]
    assert {side(r) for r in later} == {side(first)}  # the first answer's side, every time
    assert not [r for r in later if canary_cookie(r)]  # the cookie is not re-issued


def test_new_browsers_split_by_their_cookie_not_their_address(edge: Running) -> None:
    sides = []
    for _ in range(40):
        with httpx.Client(base_url=edge.url, trust_env=False) as browser:
            sides.append(side(browser.get("/split/home")))
    assert set(sides) == {"monolith", "catalog"}  # 50%: both sides, from one address


def test_an_authenticated_client_gets_no_cookie(edge: Running) -> None:
    for token in ("alice", "bob", "carol"):
        headers = {"Authorization": f"Bearer {token}"}
        answers = [
            httpx.get(f"{edge.url}/split/{i}", headers=headers, trust_env=False) for i in range(5)
        ]
        assert not [r for r in answers if canary_cookie(r)]
        assert len({side(r) for r in answers}) == 1


def test_routes_that_are_not_canaries_set_no_cookie(edge: Running) -> None:
    assert canary_cookie(httpx.get(f"{edge.url}/svc/x", trust_env=False)) is None
    assert canary_cookie(httpx.get(f"{edge.url}/anything", trust_env=False)) is None
