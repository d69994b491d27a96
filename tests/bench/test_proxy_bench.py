"""The proxy benchmark's parts (it is not a test itself): its parsers, its table, and its load
generator against a real tiny server on a free port. No timing assertions."""

from __future__ import annotations

import os
import sys
import time
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
    cpu_seconds,
    paced_latency,
    parse_wrk,
    peak_rss_mib,
    percentile,
    process_tree,
)
from bench.proxy.report import (
    RoundFigures,
    Row,
    Spread,
    added_p50,
    cpu_per_request,
    ratio_vs,
    render,
    spread,
    summary,
)
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

    def one_round(rps: float, p50: float, p99: float, cpu: float) -> tuple[RoundFigures, ...]:
        return (RoundFigures(rps, cpu, p50, p99),)

    rows = [
        Row("fast", "direct", Throughput(40000, 1, 0), lat(0.10, 0.30), 12, role="direct",
            rounds=one_round(40000, 0.10, 0.30, 11)),
        Row("fast", "nginx", Throughput(30000, 1, 0), lat(0.20, 0.50), 13, role="reference",
            rounds=one_round(30000, 0.20, 0.50, 25)),
        Row("fast", "engine 1w", Throughput(15000, 1, 2), lat(0.40, 1.30), 40,
            rounds=one_round(15000, 0.40, 1.30, 61)),
        Row("fast", "mitmproxy engine", note="the mitmproxy environment is missing (make mitm)"),
    ]  # fmt: skip
    console = Console(record=True, width=200)
    console.print(render(rows, title="t", caption="c"))
    text = console.export_text()
    engine = next(line for line in text.splitlines() if "engine 1w" in line)
    for cell in ("15,000", "50%", "38%", "+0.30", "+1.00", " 61 ", "40", " 2 "):
        assert cell in engine, (cell, engine)
    assert "make mitm" in text


def test_ratios_and_added_latency_are_taken_round_by_round() -> None:
    # nginx and the engine both slow down in round 2 (the machine got busy): the engine's
    # share stays 50% every round, which the median of each row alone would not show
    nginx = Row("fast", "nginx", role="reference", rounds=tuple(
        RoundFigures(rps, 25.0, p50, 0.5) for rps, p50 in ((30000, 0.2), (10000, 0.3), (20000, 0.2))
    ))  # fmt: skip
    direct = Row("fast", "direct", role="direct", rounds=tuple(
        RoundFigures(40000, 10.0, p50, 0.3) for p50 in (0.1, 0.2, 0.1)
    ))  # fmt: skip
    engine = Row("fast", "engine 1w", rounds=(
        RoundFigures(15000, 60.0, 0.4, 1.0), RoundFigures(5000, 70.0, 0.8, 2.0),
        RoundFigures(10000, 50.0, 0.3, 1.0),
    ))  # fmt: skip
    assert ratio_vs(engine, nginx) == Spread(0.5, 0.5, 0.5, 3)
    added = added_p50(engine, direct)
    assert added is not None
    assert (round(added.median, 2), round(added.low, 2), round(added.high, 2)) == (0.3, 0.2, 0.6)
    assert cpu_per_request(engine) == Spread(60.0, 50.0, 70.0, 3)
    [nginx_line, engine_line] = summary([direct, nginx, engine])
    assert engine_line.startswith("fast | engine 1w: vs nginx 50% 50-50 vs direct 25% 12-38")
    assert "+p50 +0.30 +0.20..+0.60 ms" in engine_line and "CPU 60 us/req (50-70)" in engine_line
    assert "vs nginx" not in nginx_line and engine_line.endswith("(3 rounds)")


def test_a_round_a_row_missed_is_left_out_of_its_ratios() -> None:
    nginx = Row("s", "nginx", role="reference", rounds=(RoundFigures(100.0), RoundFigures(200.0)))
    engine = Row("s", "engine", rounds=(RoundFigures(None), RoundFigures(100.0)))
    assert ratio_vs(engine, nginx) == Spread(0.5, 0.5, 0.5, 1)
    assert ratio_vs(engine, None) is None
    assert spread([]) is None


def test_paced_load_measures_a_real_server(tiny_upstream: str) -> None:
    latency = paced_latency(tiny_upstream + "/x", rate=200, seconds=0.5, connections=4)
    assert latency.errors == 0
    assert latency.requests == 100
    assert 0 < latency.p50_ms <= latency.p99_ms


def test_peak_memory_covers_the_process_tree() -> None:
    me = os.getpid()
    assert me in process_tree(me)
    assert peak_rss_mib(me) > 1


def test_cpu_time_covers_the_process_tree_and_grows_with_work() -> None:
    me = os.getpid()
    before = cpu_seconds(me)
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:  # busy for 50 ms of CPU
        pass
    assert cpu_seconds(me) - before >= 0.03  # clock ticks are 10 ms


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
    result = CliRunner().invoke(main, ["--threads", "0"])
    assert result.exit_code == 2
    assert "--threads must be positive, got 0" in result.output


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


def test_the_in_process_run_drives_the_real_engine_and_gives_a_cost_per_request() -> None:
    from bench.proxy import inprocess

    assert inprocess.per_request_us(200, connections=4) > 0
    assert inprocess.bench_table().match("GET", "/api/catalog/products/1/") is not None


def test_the_in_process_run_fails_loudly_when_the_engine_does_not_answer_200(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench.proxy import inprocess

    monkeypatch.setattr(inprocess, "REQUEST", b"GET /x HTTP/1.1\r\n\r\n")  # no Host: 400
    with pytest.raises(AssertionError, match=r"unexpected answer: b'HTTP/1\.1 400 "):
        inprocess.per_request_us(10, connections=2)


def test_the_tracing_section_counts_the_spans_its_engines_wrote(tmp_path: Path) -> None:
    from bench.proxy.tracing import spans_written

    assert spans_written(tmp_path / "none") == 0
    span = '{"traceId":"ab","spanId":"01","parentSpanId":"02"}'
    (tmp_path / "strangler-proxy-1.jsonl").write_text(f'{{"resourceSpans":[{span},{span}]}}\n')
    (tmp_path / "strangler-proxy-2.jsonl").write_text(f'{{"resourceSpans":[{span}]}}\n')
    assert spans_written(tmp_path) == 3
