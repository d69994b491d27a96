"""The mitmproxy engine end to end: real mitmdump, real monolith, a stand-in service, a real
flag store; flags are flipped in the store while mitmdump runs."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from strangler_proxy.store import FlagStore
from tests.conftest import RunningServer
from tests.strangler_proxy.evidence.kept import samples
from tests.strangler_proxy.mitm.conftest import DETAIL, mitmdump, mitmdump_argv, read_flows
from tests.strangler_proxy.proxy_stack import until

PRODUCT = "/api/catalog/products/1/"


def flip(store: FlagStore, mode: str, percent: int = 0) -> None:
    store.set_route(
        DETAIL, mode=mode, percent=percent, service="catalog", actor="test", reason=f"to {mode}"
    )


def served_by(response: httpx.Response) -> str:
    return response.headers["x-strangler-served-by"]


def wait_for(proxy: str, path: str, who: str, deadline_s: float = 5.0) -> httpx.Response:
    """The first answer served by ``who`` (the addon polls the store every 0.1 s here)."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = httpx.get(proxy + path, trust_env=False)
        if served_by(response) == who or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def received(stand_in: str) -> list[dict[str, object]]:
    answer: list[dict[str, object]] = httpx.get(f"{stand_in}/__received__", trust_env=False).json()
    return answer


def copies_of(stand_in: str, path: str, deadline_s: float = 5.0) -> list[dict[str, object]]:
    """What the stand-in received for ``path``, waiting for the first shadow copy to land."""
    deadline = time.monotonic() + deadline_s
    while True:
        copies = [r for r in received(stand_in) if r["path"] == path]
        if copies or time.monotonic() > deadline:
            return copies
        time.sleep(0.05)


def test_monolith_mode_passes_the_monolith_answer_through(
    proxy: str, store: FlagStore, monolith_server: RunningServer
) -> None:
    flip(store, "monolith")
    response = wait_for(proxy, PRODUCT, "monolith")
    direct = httpx.get(monolith_server.base_url + PRODUCT, trust_env=False)
    assert response.status_code == direct.status_code
    assert response.json() == direct.json()
    assert response.headers["x-strangler-route"] == DETAIL
    unmatched = httpx.get(proxy + "/health/", trust_env=False)
    assert served_by(unmatched) == "monolith" and "x-strangler-route" not in unmatched.headers


def test_service_mode_sends_the_request_to_the_service(
    proxy: str, store: FlagStore, stand_in: str
) -> None:
    flip(store, "service")
    response = wait_for(proxy, PRODUCT, "catalog")
    assert served_by(response) == "catalog"
    forged = httpx.get(
        proxy + PRODUCT + "?forged=1", headers={"X-Strangler-Route": "evil"}, trust_env=False
    )
    assert forged.json() == {"served_by": "catalog", "path": PRODUCT + "?forged=1"}
    last = received(stand_in)[-1]
    assert last["path"] == PRODUCT + "?forged=1"
    assert "x-strangler-route" not in last["headers"]  # type: ignore[operator]


def test_shadow_mode_answers_from_the_monolith_and_copies_to_the_service(
    proxy: str, store: FlagStore, stand_in: str, monolith_server: RunningServer
) -> None:
    flip(store, "shadow")
    wait_for(proxy, PRODUCT + "?warmup=1", "monolith")
    response = httpx.get(proxy + PRODUCT + "?probe=shadow", trust_env=False)
    direct = httpx.get(monolith_server.base_url + PRODUCT, trust_env=False)
    assert served_by(response) == "monolith"
    assert response.json() == direct.json()
    copies = copies_of(stand_in, PRODUCT + "?probe=shadow")
    assert [c["method"] for c in copies] == ["GET"]


def test_canary_splits_clients_and_keeps_each_on_one_side(proxy: str, store: FlagStore) -> None:
    flip(store, "canary", percent=50)
    wait_for(proxy, PRODUCT, "catalog")  # some client lands in the canary once it is live
    with httpx.Client(base_url=proxy, trust_env=False) as client:
        sides = {}
        for i in range(200):
            client.cookies.set("strangler_client", f"client-{i}")
            sides[i] = served_by(client.get(PRODUCT))
        assert 60 < Counter(sides.values())["catalog"] < 140, Counter(sides.values())
        for i in range(0, 200, 20):  # sticky: the same client, the same side
            client.cookies.set("strangler_client", f"client-{i}")
            assert {served_by(client.get(PRODUCT)) for _ in range(3)} == {sides[i]}


def test_flows_are_written_to_a_readable_flow_file(
    mitm_env: Path,
    monolith_server: RunningServer,
    store_url: str,
    store: FlagStore,
    stand_in: str,
    tmp_path: Path,
) -> None:
    flip(store, "shadow")
    flows = tmp_path / "flows.mitm"
    capture = mitmdump(mitm_env, tmp_path, monolith_server.base_url, store_url, "-w", str(flows))
    with capture as proc:
        base = proc.base_url
        assert served_by(httpx.get(base + PRODUCT + "?captured=1", trust_env=False)) == "monolith"
        assert copies_of(stand_in, PRODUCT + "?captured=1")
        # the stand-in got its copy; mitmproxy writes the shadow flow once its answer is back
        assert proc.log_path is not None
        deadline = time.monotonic() + 10
        while "<<" not in proc.log_path.read_text().partition("[replay]: GET")[2]:
            assert time.monotonic() < deadline, "mitmdump never logged the shadow's answer"
            time.sleep(0.05)
    captured = [f for f in read_flows(mitm_env, flows) if f["path"] == PRODUCT + "?captured=1"]
    primary = next(f for f in captured if f["role"] == "primary")
    shadow = next(f for f in captured if f["role"] == "shadow")
    assert (primary["served_by"], primary["route"], primary["shadow"], primary["fallback"]) == (
        "monolith",
        DETAIL,
        "catalog",
        None,
    )
    assert (shadow["served_by"], shadow["shadow_of"], shadow["status"]) == (
        "catalog",
        primary["id"],
        200,
    )


def test_with_noise_the_flow_file_holds_the_monolith_asked_again(
    mitm_env: Path,
    monolith_server: RunningServer,
    store_url: str,
    store: FlagStore,
    tmp_path: Path,
) -> None:
    """A route whose rules ask for noise: the monolith is asked twice and the service once;
    the flow file holds all three (the copies marked), the export for ``strangler compare``
    the client's request once, and the evidence the compared pair."""
    flip(store, "shadow")
    rules, flows = tmp_path / "rules.toml", tmp_path / "flows.mitm"
    rules.write_text(f"[routes.{DETAIL}]\nnoise = true\n")
    evidence = f"sqlite:///{tmp_path / 'evidence.sqlite3'}"
    options = ("--set", f"strangler_rules={rules}", "--set", f"strangler_evidence={evidence}")
    path = PRODUCT + "?noise=1"
    with mitmdump(mitm_env, tmp_path, monolith_server.base_url, store_url, *options,
                  "-w", str(flows)) as proc:  # fmt: skip
        assert served_by(httpx.get(proc.base_url + path, trust_env=False)) == "monolith"
        [sample] = until(lambda: samples(evidence, DETAIL), timeout=20)
    assert (sample.query, sample.monolith_status, sample.service_status) == ("noise=1", 200, 200)
    found = {f["role"]: f for f in read_flows(mitm_env, flows) if f["path"] == path}
    assert set(found) == {"primary", "shadow", "noise"}
    copies = {role: (f["served_by"], f["shadow_of"], f["status"]) for role, f in found.items()
              if role != "primary"}  # fmt: skip
    primary = found["primary"]["id"]
    assert copies == {"shadow": ("catalog", primary, 200), "noise": ("monolith", primary, 200)}
    exported = subprocess.run(
        [str(mitm_env / "python"), "-m", "strangler_proxy.mitm.export", str(flows)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [r["path"] for r in json.loads(exported.stdout)].count(path) == 1


def test_a_canary_not_sampled_records_no_copy_in_the_flow_file(
    mitm_env: Path,
    monolith_server: RunningServer,
    store_url: str,
    store: FlagStore,
    stand_in: str,
    tmp_path: Path,
) -> None:
    """A canary's monolith side copies only what it compares: with the route's canary sample
    rate at 0 no copy goes, and the client's flow says so (``shadow`` null)."""
    flip(store, "canary", percent=0)
    rules, flows = tmp_path / "rules.toml", tmp_path / "flows.mitm"
    rules.write_text(f"[routes.{DETAIL}]\ncanary_sample_rate = 0.0\n")
    path = PRODUCT + "?unsampled=1"
    options = ("--set", f"strangler_rules={rules}", "-w", str(flows))
    with mitmdump(mitm_env, tmp_path, monolith_server.base_url, store_url, *options) as proc:
        assert served_by(httpx.get(proc.base_url + path, trust_env=False)) == "monolith"
    [primary] = [f for f in read_flows(mitm_env, flows) if f["path"] == path]
    assert (primary["role"], primary["served_by"], primary["shadow"]) == (
        "primary", "monolith", None,
    )  # fmt: skip
    assert not copies_of(stand_in, path, deadline_s=0)


@pytest.mark.parametrize(
    ("bad_store", "poll_ms", "extra", "message"),
    [
        ("postgresql://nowhere/flags", 100, (), "strangler_store='postgresql://nowhere/flags': "),
        ("", 0, (), "strangler_poll_ms must be positive, got 0"),
        (
            "",
            100,
            ("--set", "strangler_service_timeout_ms=-5"),
            "strangler_service_timeout_ms must be positive, got -5",
        ),
    ],
)
def test_a_bad_option_stops_mitmdump_with_the_option_named(
    mitm_env: Path,
    monolith_server: RunningServer,
    store_url: str,
    tmp_path: Path,
    bad_store: str,
    poll_ms: int,
    extra: tuple[str, ...],
    message: str,
) -> None:
    monolith = monolith_server.base_url
    store = bad_store or store_url
    argv = mitmdump_argv(mitm_env, tmp_path, monolith, store, *extra, poll_ms=poll_ms)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr


@pytest.mark.parametrize("module", ["strangler_proxy.mitm.addon", "strangler_proxy.store"])
def test_the_addon_imports_nothing_the_mitm_env_lacks(mitm_env: Path, module: str) -> None:
    check = (
        f"import {module}, sys; print(sorted(m for m in ('httpx', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([str(mitm_env / "python"), "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
