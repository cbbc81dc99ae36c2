"""`orders-api cost --lambda-options`: the memory and SnapStart comparison as table and JSON."""

from __future__ import annotations

import json

import pytest

from orders_api.cli import main


def test_the_json_prices_every_memory_size_with_snapstart_off_and_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["cost", "--scenario", "promotion-day", "--lambda-options", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    pairs = [(o["memory_mb"], o["snapstart"]) for o in report["options"]]
    assert pairs == [(m, s) for m in (128, 256, 512, 1024) for s in (False, True)]
    assert next(o for o in report["options"] if o["deployed"])["memory_mb"] == 256
    assert report["peak_per_second"] == "40"


def test_the_markdown_table_has_a_row_per_option_and_marks_the_deployed_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        [
            "cost",
            "--lambda-options",
            "--markdown",
            "--memory-sizes",
            "128,256",
            "--free-tier",
            "none",
        ]
    )
    table = capsys.readouterr().out.splitlines()
    assert status == 0
    assert table[0].startswith("| Memory | SnapStart |")
    assert len(table) == 2 + 4
    assert [row.split("|")[-2].strip() for row in table[2:]].count("deployed") == 1


def test_a_memory_size_lambda_does_not_offer_is_refused() -> None:
    with pytest.raises(SystemExit) as refused:
        main(["cost", "--lambda-options", "--memory-sizes", "64"])
    assert refused.value.code == 2
