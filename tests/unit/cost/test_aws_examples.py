"""AWS's own published pricing examples, reproduced to the cent by the model's price functions.

Each example is priced with the rates it was published with (`with_price` swaps in a dated
rate where AWS has since changed it), so what is tested is the model's arithmetic: tiers,
free-tier subtraction, units per million, GB-seconds, rounding to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from orders_api.cost.lines import FreeTierLedger, FreeTierMode, cents
from orders_api.cost.prices import Price, PriceSheet, Tier, load_price_sheet

LAMBDA_PRICING_PAGE = "https://aws.amazon.com/lambda/pricing/"


@pytest.fixture(scope="module")
def sheet() -> PriceSheet:
    return load_price_sheet("us-east-1")


def _lambda_sheet_at_2020_rate(sheet: PriceSheet) -> PriceSheet:
    """The x86 rate the examples were written with ($0.00001667 per GB-s)."""
    dated = Price(
        unit="GB-second",
        source=LAMBDA_PRICING_PAGE,
        read_on=date(2020, 1, 1),
        tiers=(Tier(price=Decimal("0.00001667")),),
    )
    return sheet.with_price("lambda_duration_x86_64", dated)


def _lambda_month(
    sheet: PriceSheet, invocations: int, memory_mb: int, seconds: Decimal
) -> tuple[Decimal, Decimal]:
    ledger = FreeTierLedger(sheet, FreeTierMode.ALWAYS)
    gb_seconds = invocations * Decimal(memory_mb) / 1024 * seconds
    compute = sheet["lambda_duration_x86_64"].charge(
        gb_seconds - ledger.take("lambda_duration_x86_64", gb_seconds)
    )
    requests = Decimal(invocations)
    request_charge = sheet["lambda_requests"].charge(
        requests - ledger.take("lambda_requests", requests)
    )
    return cents(compute), cents(request_charge)


def test_lambda_example_1_512_mb_three_million_one_second_costs_18_74(sheet: PriceSheet) -> None:
    """AWS Lambda pricing page, Example 1 (https://aws.amazon.com/lambda/pricing/, the version
    quoting $0.00001667 per GB-s): 512 MB, 3M executions of 1 s. 1,500,000 GB-s - 400,000 free
    = 1,100,000 GB-s x $0.00001667 = $18.34; 3M - 1M free = 2M x $0.2/M = $0.40; $18.74."""
    compute, requests = _lambda_month(_lambda_sheet_at_2020_rate(sheet), 3_000_000, 512, Decimal(1))
    assert (compute, requests, compute + requests) == (
        Decimal("18.34"),
        Decimal("0.40"),
        Decimal("18.74"),
    )


def test_lambda_example_2_128_mb_thirty_million_200_ms_costs_11_63(sheet: PriceSheet) -> None:
    """Same page, Example 2: 128 MB, 30M executions of 200 ms. 750,000 GB-s - 400,000 free =
    350,000 GB-s x $0.00001667 = $5.83; 29M billable requests x $0.2/M = $5.80; $11.63."""
    compute, requests = _lambda_month(
        _lambda_sheet_at_2020_rate(sheet), 30_000_000, 128, Decimal("0.2")
    )
    assert (compute, requests, compute + requests) == (
        Decimal("5.83"),
        Decimal("5.80"),
        Decimal("11.63"),
    )


def test_rest_api_example_five_million_calls_cost_17_50_in_call_charges(sheet: PriceSheet) -> None:
    """API Gateway pricing page, REST API example (https://aws.amazon.com/api-gateway/pricing/):
    an edge-optimized or regional API receives five million calls a month with 3 KB
    responses, no caching. API call charges = 5 million x $3.50/million = $17.50 (the example
    adds $1.29 of data transfer out, 14.3 GB x $0.09, for $18.79; the model does not price
    data transfer)."""
    assert cents(sheet["api_gateway_rest_requests"].charge(Decimal(5_000_000))) == Decimal("17.50")


def test_rest_api_fifteen_billion_calls_walk_every_band(sheet: PriceSheet) -> None:
    """The same page's second REST example: 15 billion calls a month. Hand-computed through
    the published bands: 333M x $3.50 + 667M x $2.80 + 14,000M x $2.38
    = $1,165.50 + $1,867.60 + $33,320.00 = $36,353.10."""
    assert cents(sheet["api_gateway_rest_requests"].charge(Decimal(15_000_000_000))) == Decimal(
        "36353.10"
    )


def test_dynamodb_request_units_follow_the_published_key_terms(sheet: PriceSheet) -> None:
    """DynamoDB on-demand pricing page, key terms (https://aws.amazon.com/dynamodb/pricing/on-demand/):
    a standard write of up to 1 KB is one WRU, a 3 KB item three; an eventually consistent
    read of an 8 KB item is one RRU. A million 3 KB writes and a million 8 KB eventually
    consistent reads: 3M WRU x $0.625/M + 1M RRU x $0.125/M = $1.875 + $0.125 = $2.00."""
    writes = sheet["dynamodb_write_request_units"].charge(Decimal(3_000_000))
    reads = sheet["dynamodb_read_request_units"].charge(Decimal(1_000_000))
    assert (writes, reads, cents(writes + reads)) == (
        Decimal("1.875"),
        Decimal("0.125"),
        Decimal("2.00"),
    )
