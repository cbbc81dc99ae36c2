"""The command, its JSON, its chart, and docs/cost.md kept in step with the model."""

from __future__ import annotations

import json
import struct
from decimal import Decimal
from pathlib import Path

import pytest

from orders_api.cli import main
from orders_api.cli.cost import BENCH_RESULTS
from orders_api.cost.deployed import read_deployment
from orders_api.cost.lines import FreeTierMode, Service
from orders_api.cost.model import DEPLOYED, Assumptions, estimate
from orders_api.cost.plot import plot_costs, waf_stops_being_largest
from orders_api.cost.prices import load_price_sheet
from orders_api.cost.report import DOCS_COMMAND, markdown_report
from orders_api.cost.scenarios import scenario
from orders_api.cost.workload import billed_duration_from_bench
from tests.paths import ROOT

DOCS = ROOT / "docs" / "cost.md"
MEASURED = billed_duration_from_bench(ROOT / BENCH_RESULTS)


def test_docs_cost_md_is_what_the_model_generates_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # as `make cost` runs it
    duration = billed_duration_from_bench(BENCH_RESULTS)
    generated = markdown_report(read_deployment(), load_price_sheet(), duration)
    assert DOCS.read_text() == generated, f"docs/cost.md is out of date: run `{DOCS_COMMAND}`"


@pytest.mark.parametrize("free_tier", [FreeTierMode.ALWAYS, FreeTierMode.NONE])
def test_for_the_small_business_waf_is_the_largest_cost_and_its_largest_fixed_cost(
    free_tier: FreeTierMode,
) -> None:
    small = scenario("small-business", MEASURED).workload
    result = estimate(
        small, read_deployment(), load_price_sheet(), DEPLOYED, Assumptions(free_tier)
    )
    assert result.largest_service() is Service.WAF
    largest_fixed = max(
        (line for line in result.lines if line.basis.value == "fixed"), key=lambda line: line.amount
    )
    assert largest_fixed.service is Service.WAF


def test_waf_stops_being_the_largest_cost_where_another_service_first_costs_more() -> None:
    deployment, sheet = read_deployment(), load_price_sheet()
    small = scenario("small-business", MEASURED).workload
    crossing = waf_stops_being_largest(small, deployment, sheet)
    assert crossing is not None
    requests, rival = crossing

    def costs(n: Decimal) -> dict[Service, Decimal]:
        workload = type(small)(
            **{**{f: getattr(small, f) for f in small.__slots__}, "requests_per_month": n}
        )
        return estimate(workload, deployment, sheet).by_service()

    below, at = costs(requests - 1), costs(requests)
    assert max(below, key=lambda s: below[s]) is Service.WAF
    assert at[rival] > at[Service.WAF]


def test_the_json_output_carries_each_design_with_exact_and_rounded_amounts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cost", "--scenario", "bot-abuse", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["estimates"]) == {"deployed", "http_api", "rest_without_waf"}
    deployed = report["estimates"]["deployed"]
    assert deployed["largest_service"] == "WAF"
    assert Decimal(deployed["total_usd"]) < Decimal(
        report["estimates"]["rest_without_waf"]["total_usd"]
    )
    assert report["price_sheet"]["read_on"] == "2026-11-25"
    assert any(
        "not documented" in note or "does not document" in note for note in deployed["notes"]
    )


def test_flags_override_the_preset_and_bad_shares_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cost", "--requests", "2000000", "--free-tier", "none", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["workload"]["requests_per_month"] == "2000000"
    assert report["scenario"] == "small-business (modified)"
    assert main(["cost", "--blocked-share", "1.5"]) == 2


def test_the_table_names_every_design(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--scenario", "promotion-day"]) == 0
    out = capsys.readouterr().out
    assert "REST API + WAF (deployed)" in out
    assert "HTTP API" in out
    assert "without WAF" in out


def test_the_plot_is_a_png_and_reports_where_waf_stops_being_largest(tmp_path: Path) -> None:
    path = tmp_path / "cost.png"
    crossing = plot_costs(
        path, scenario("small-business", MEASURED).workload, read_deployment(), load_price_sheet()
    )
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert width >= 800
    assert height >= 500
    assert crossing is not None


def test_every_scenario_section_names_the_command_that_prints_its_table() -> None:
    text = DOCS.read_text()
    for key in ("small-business", "promotion-day", "bot-abuse"):
        assert f"`.venv/bin/orders-api cost --scenario {key}`" in text
    assert "`make cost`" in text


def test_the_promotion_day_warns_that_its_peak_outruns_the_e_mail_subscription() -> None:
    section = DOCS.read_text().split("## Promotion day")[1].split("## Bot abuse")[0]
    assert "**E-mail at the peak:**" in section
    small = DOCS.read_text().split("## Small business")[1].split("## Promotion day")[0]
    assert "E-mail at the peak" not in small


def test_the_events_flags_reach_the_workload(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = [
        "cost",
        "--list-share",
        "0.5",
        "--orders-per-list",
        "5",
        "--status-changes",
        "2",
        "--failed-share",
        "0.01",
        "--json",
    ]
    assert main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    workload = report["workload"]
    assert (workload["list_share"], workload["orders_per_list"]) == ("0.5", "5")
    assert (workload["status_changes_per_order"], workload["failed_event_share"]) == ("2", "0.01")
    items = {line["item"] for line in report["estimates"]["deployed"]["lines"]}
    assert "dead-letter queue requests" in items
    assert any(item.startswith("list read request units") for item in items)
    assert main(["cost", "--list-share", "0.7", "--read-share", "0.7"]) == 2


def test_the_twins_measured_durations_feed_the_model_with_their_origin(tmp_path: Path) -> None:
    durations = tmp_path / "lambda-durations.json"
    durations.write_text(
        json.dumps({"warm_invoke_ms": 2.811, "source": "the twin's execution environments"})
    )
    measured = billed_duration_from_bench(durations)
    assert measured.billed_ms == 3
    assert "the twin's execution environments" in measured.origin
    durations.write_text(json.dumps({"warm_invoke_ms": None, "coldStarts": 1}))
    assert billed_duration_from_bench(durations).origin.startswith("default")
