"""AWS's own published pricing examples, reproduced to the cent by the model's price functions.

Each example is priced with the rates it was published with (`with_price` swaps in a dated
rate where AWS has since changed it), so what is tested is the model's arithmetic: tiers,
free-tier subtraction, units per million, GB-seconds, rounding to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from orders_api.cost.deployed import read_deployment
from orders_api.cost.lines import FreeTierLedger, FreeTierMode, cents
from orders_api.cost.model import DEPLOYED, EVENT_ENVELOPE_BYTES, Assumptions, estimate
from orders_api.cost.prices import Price, PriceSheet, Tier, load_price_sheet
from orders_api.cost.workload import Workload

LAMBDA_PRICING_PAGE = "https://aws.amazon.com/lambda/pricing/"
NO_FREE_TIER = Assumptions(free_tier=FreeTierMode.NONE)


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


@pytest.mark.parametrize(
    ("orders", "item_bytes", "rounded_kb"),
    [
        # "suppose your query returns 10 items whose combined size is 40.8 KB. DynamoDB rounds
        # the item size for the operation to 44 KB."
        (10, 4178, 44),
        # "If a query returns 1500 items of 64 bytes each, the cumulative size is 96 KB."
        (1500, 64, 96),
    ],
)
def test_a_list_page_reproduces_the_developer_guides_query_examples(
    sheet: PriceSheet, orders: int, item_bytes: int, rounded_kb: int
) -> None:
    """DynamoDB developer guide, capacity unit consumption for reads, Query
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
    all items a Query returns are one read of their total size rounded up to 4 KB. A GET /orders
    page is such a Query, eventually consistent (the only kind an index serves): half a RRU per
    4 KB, so 40.8 KB -> 44 KB -> 5.5 RRU and 96 KB -> 12 RRU."""
    workload = Workload(
        Decimal(1_000_000),
        0,
        list_share=Decimal(1),
        orders_per_list=orders,
        item_bytes=item_bytes,
    )
    result = estimate(workload, read_deployment(), sheet, DEPLOYED, NO_FREE_TIER)
    (line,) = [line for line in result.lines if line.item.startswith("list")]
    assert line.quantity == Decimal(1_000_000) * rounded_kb / 4 / 2


def test_gsi_writes_follow_the_developer_guides_rules(sheet: PriceSheet) -> None:
    """DynamoDB developer guide, write capacity of global secondary indexes
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html): a new item that
    defines an indexed attribute takes one write to put it into the index; an update that
    changes an indexed key attribute (from A to B) takes two, delete then put; one that changes
    only projected attributes takes one; each index item of up to 1 KB is one write unit. A 1 KB
    order placed: 1 table WRU + 1 per index (2). Shipped: the table's UpdateItem + byStatus's
    status key A -> B (2) + byCustomer's projected status (1) = 4 WRU. A thousand orders placed
    and shipped: 3,000 + 4,000 WRU x $0.625 per million = $0.004375."""
    workload = Workload(Decimal(1_000), 0)
    result = estimate(workload, read_deployment(), sheet, DEPLOYED, NO_FREE_TIER)
    units = {
        line.item.split(" (")[0]: line.quantity
        for line in result.lines
        if line.price_key == "dynamodb_write_request_units"
    }
    assert units == {
        "write request units": 1_000,
        "index write request units": 2_000,
        "status change write request units": 4_000,
    }
    amounts = sum(
        (line.amount for line in result.lines if line.price_key.startswith("dynamodb_write")),
        Decimal(0),
    )
    assert amounts == Decimal("0.004375")


def test_eventbridge_bills_a_256_kb_event_as_4_events_as_its_pricing_page_says(
    sheet: PriceSheet,
) -> None:
    """EventBridge pricing page (https://aws.amazon.com/eventbridge/pricing/): "Each 64 KB chunk
    of a payload is billed as one event (for example, an event with a 256 KB payload is billed
    as 4 events)". An order whose event, envelope included, is 256 KB: a million of them are 4
    million custom events, $4.00 at $1.00 per million. The model's envelope is 512 bytes."""
    workload = Workload(
        Decimal(1_000_000),
        0,
        item_bytes=256 * 1024 - EVENT_ENVELOPE_BYTES,
        status_changes_per_order=Decimal(0),
    )
    result = estimate(workload, read_deployment(), sheet, DEPLOYED, NO_FREE_TIER)
    (line,) = [line for line in result.lines if line.price_key == "eventbridge_custom_events"]
    assert (line.quantity, line.amount) == (Decimal(4_000_000), Decimal("4.00"))


def test_stream_reads_by_pipes_are_free_up_to_2_5_million_as_the_developer_guide_says(
    sheet: PriceSheet,
) -> None:
    """DynamoDB developer guide, evaluate your streams usage
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html):
    "Read requests made by AWS Lambda-based consumers of DynamoDB Streams are free, whereas calls
    made by consumers of any other kind are charged. Every month, the first 2,500,000 read
    requests made by non-Lambda consumers are also free of cost." At $0.02 per 100,000 (pricing
    page), 2,500,000 GetRecords cost nothing and 2,600,000 cost $0.02."""
    price = sheet["dynamodb_stream_read_request_units"]

    def month(reads: int) -> Decimal:
        ledger = FreeTierLedger(sheet, FreeTierMode.ALWAYS)
        quantity = Decimal(reads)
        free = ledger.take("dynamodb_stream_read_request_units", quantity)
        return cents(price.charge(quantity) - price.charge(free))

    assert (month(2_500_000), month(2_600_000)) == (Decimal("0.00"), Decimal("0.02"))
