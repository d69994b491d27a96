"""The proxy benchmark's parts (it is not a test itself): its parsers, its table, and its load
generator against a real tiny server on a free port. No timing assertions."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from rich.console import Console

from bench.proxy import servers
from bench.proxy.measure import (
    WRK_SAMPLE,
    Latency,
    MeasureError,
    Throughput,
    paced_latency,
    parse_wrk,
    peak_rss_mib,
    percentile,
    process_tree,
)
from bench.proxy.report import Row, render
from strangler_proxy.stack.process import ManagedProcess, free_port


@pytest.fixture(scope="module")
def tiny_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, str(Path(servers.__file__).with_name("upstream.py")), str(port)]
    log = tmp_path_factory.mktemp("upstream") / "upstream.log"
    url = f"http://127.0.0.1:{port}"
    with ManagedProcess("upstream", argv, health_url=url + "/", log_path=log):
        yield url


def test_wrk_summary_is_read_with_its_errors() -> None:
    result = parse_wrk(WRK_SAMPLE)
    assert result == Throughput(requests_per_s=24691.2, requests=123456, errors=6)


def test_wrk_output_without_a_summary_is_refused() -> None:
    with pytest.raises(MeasureError, match="no 'Requests/sec' summary"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert (percentile(samples, 0.5), percentile(samples, 0.99)) == (50.0, 99.0)
    with pytest.raises(MeasureError, match="no successful request"):
        percentile([], 0.5)


def test_the_table_shows_ratios_to_nginx_and_direct_and_why_a_row_is_empty() -> None:
    def lat(p50: float, p99: float) -> Latency:
        return Latency(p50, p99, 100, 0)

    rows = [
        Row("fast", "direct", Throughput(40000, 1, 0), lat(0.10, 0.30), 12, role="direct"),
        Row("fast", "nginx", Throughput(30000, 1, 0), lat(0.20, 0.50), 13, role="reference"),
        Row("fast", "engine 1w", Throughput(15000, 1, 2), lat(0.40, 1.30), 40),
        Row("fast", "mitmproxy engine", note="the mitmproxy environment is missing (make mitm)"),
    ]
    console = Console(record=True, width=200)
    console.print(render(rows, title="t", caption="c"))
    text = console.export_text()
    engine = next(line for line in text.splitlines() if "engine 1w" in line)
    for cell in ("15,000", "50%", "38%", "+0.30", "+1.00", "40", " 2 "):
        assert cell in engine, (cell, engine)
    assert "make mitm" in text


def test_paced_load_measures_a_real_server(tiny_upstream: str) -> None:
    latency = paced_latency(tiny_upstream + "/x", rate=200, seconds=0.5, connections=4)
    assert latency.errors == 0
    assert latency.requests == 100
    assert 0 < latency.p50_ms <= latency.p99_ms


def test_peak_memory_covers_the_process_tree() -> None:
    me = os.getpid()
    assert me in process_tree(me)
    assert peak_rss_mib(me) > 1


def test_nginx_config_proxies_with_pooled_keepalive(tmp_path: Path) -> None:
    conf = servers.nginx_conf(tmp_path, 8081, "127.0.0.1:9000")
    assert "listen 127.0.0.1:8081;" in conf
    assert "server 127.0.0.1:9000; keepalive 64;" in conf
    assert 'proxy_set_header Connection "";' in conf
    assert "return 200" in servers.nginx_conf(tmp_path, 8081, None)


def test_the_command_refuses_a_non_positive_setting() -> None:
    from click.testing import CliRunner

    from bench.proxy.__main__ import main

    result = CliRunner().invoke(main, ["--rate", "0"])
    assert result.exit_code == 2
    assert "--rate must be positive, got 0.0" in result.output


def test_rounds_are_summed_up_as_the_median_throughput_and_all_latency_samples() -> None:
    from bench.proxy.runner import Contender

    engine = Contender("engine", throughputs=[Throughput(r, 10, 1) for r in (1000, 3000, 2000)])
    engine.samples = [0.001] * 99 + [0.009]
    row = engine.row("fast", rate=250)
    assert row.throughput == Throughput(2000, 30, 3)
    assert row.latency == Latency(1.0, 1.0, 100, 0)
    assert row.peak_mib is None and row.note == ""
    slow = Contender("slow", throughputs=[Throughput(300, 10, 0)]).row("fast", rate=250)
    assert slow.note == "rate near capacity: latency includes queueing"


def test_without_nginx_the_upstream_is_the_uvloop_server_and_nginx_rows_say_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import httpx

    from bench.proxy.runner import start

    def no_nginx() -> str:
        raise servers.Missing("nginx is not installed (apt-get install -y nginx)")

    monkeypatch.setattr(servers, "nginx_binary", no_nginx)
    upstream = servers.start_fast_upstream(tmp_path)
    try:
        assert upstream.name == "uvloop upstream"
        assert httpx.get(upstream.url + "/any", trust_env=False).json()["ok"] is True
    finally:
        upstream.process.stop()
    nginx = start(
        "nginx reverse proxy", "reference", partial(servers.start_nginx, "nginx", tmp_path)
    )
    assert nginx.server is None
    row = nginx.row("fast", rate=100)
    assert row.throughput is None and row.note.startswith("nginx is not installed")
