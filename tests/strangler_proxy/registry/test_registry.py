import re
from pathlib import Path

import pytest

from strangler_proxy.registry import ServiceSpec, load_services_file, normalise_instance_url
from strangler_proxy.routing import InvalidFlag


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("http://127.0.0.1:8101/", "http://127.0.0.1:8101"),
        ("http://[::1]:8101", "http://[::1]:8101"),
        (" HTTP://Example.com:80 ", "http://example.com:80"),
    ],
)
def test_instance_urls_are_normalised(url: str, normalised: str) -> None:
    assert normalise_instance_url(url) == normalised


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("127.0.0.1:8101", "need http://host[:port]"),
        ("ftp://host", "need http://host[:port]"),
        ("https://catalog.internal", "https instances are not supported"),
        ("http://127.0.0.1:8000/api", "a path in an instance URL is not supported ('/api')"),
        ("http://127.0.0.1:8101/catalog/", "register http://127.0.0.1:8101 and serve"),
        ("http://user:pw@host", "no credentials"),
        ("http://host/?x=1", "no credentials, query or fragment"),
        ("http://host:99999", "bad instance URL"),
        (8101, "must be a string"),
    ],
)
def test_bad_instance_urls_name_the_field(url: object, message: str) -> None:
    with pytest.raises(InvalidFlag, match=re.escape(message)) as err:
        normalise_instance_url(url)
    assert err.value.field == "urls"


def test_services_from_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "services.toml"
    toml.write_text('[services]\ncatalog = ["http://127.0.0.1:8101", "http://127.0.0.1:8102"]\n')
    json_file = tmp_path / "services.json"
    json_file.write_text('{"services": {"orders": ["http://127.0.0.1:8103/"]}}')
    assert load_services_file(toml) == [
        ServiceSpec("catalog", ("http://127.0.0.1:8101", "http://127.0.0.1:8102"))
    ]
    assert load_services_file(json_file) == [ServiceSpec("orders", ("http://127.0.0.1:8103",))]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("[services\n", "services", "cannot read"),
        ("[other]\n", "services", "expected a 'services' table"),
        ('[services]\nCatalog = ["http://a:1"]\n', "name", "bad service name"),
        ("[services]\ncatalog = []\n", "urls", "at least one"),
    ],
)
def test_bad_services_files(tmp_path: Path, text: str, field: str, message: str) -> None:
    path = tmp_path / "services.toml"
    path.write_text(text)
    with pytest.raises(InvalidFlag, match=message) as err:
        load_services_file(path)
    assert err.value.field == field
