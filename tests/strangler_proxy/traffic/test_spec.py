"""Bad options are refused once, up front, naming the option."""

from __future__ import annotations

import pytest

from strangler_proxy.traffic.spec import SpecError, TrafficSpec, demo_username


def test_a_good_spec() -> None:
    spec = TrafficSpec.parse(target="http://127.0.0.1:8000/", duration=3, rate=10, users=4)
    assert spec.base_url == "http://127.0.0.1:8000"
    assert spec.max_requests == 30
    assert demo_username(0) == "customer0001"


@pytest.mark.parametrize(
    ("options", "option", "message"),
    [
        ({"target": "127.0.0.1:8000"}, "--target", r"http\(s\):// URL"),
        ({"target": "ftp://host/"}, "--target", r"http\(s\):// URL"),
        ({"target": "http://h/?x=1"}, "--target", r"without \?query"),
        ({"duration": 0}, "--duration", "positive"),
        ({"rate": -1}, "--rate", "positive"),
        ({"rate": 0.1, "duration": 5}, "--rate", "sends no request"),
        ({"users": 0}, "--users", "at least 1"),
        ({"concurrency": 0}, "--concurrency", "at least 1"),
    ],
)
def test_bad_options_name_themselves(options: dict[str, object], option: str, message: str) -> None:
    arguments: dict[str, object] = {"target": "http://127.0.0.1:8000", "duration": 3, "rate": 10}
    with pytest.raises(SpecError, match=message) as caught:
        TrafficSpec.parse(**{**arguments, **options})  # type: ignore[arg-type]
    assert caught.value.option == option
