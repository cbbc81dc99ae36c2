"""Estimates as a rich table, as JSON, and as Markdown rows: one layout, three media."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from orders_api.cost.deployed import Deployment
from orders_api.cost.lines import LineItem, cents
from orders_api.cost.model import Assumptions, Estimate
from orders_api.cost.prices import PriceSheet

Row = tuple[str, str, str, str, tuple[str, ...]]
"""service, item, quantity with unit, basis, then one amount per design."""


def usd(amount: Decimal) -> str:
    return f"${cents(amount):,.2f}"


_INVARIABLE_UNITS = frozenset({"GB", "MAU"})


def plural(unit: str, quantity: Decimal) -> str:
    return unit if quantity == 1 or unit in _INVARIABLE_UNITS else f"{unit}s"


def _quantity(line: LineItem) -> str:
    if line.quantity == line.quantity.to_integral_value():
        text = f"{line.quantity:,.0f}"
    elif line.quantity >= 1:
        text = f"{line.quantity:,.2f}"
    else:
        text = f"{line.quantity:.4g}"
    free = f" ({line.free_quantity / line.quantity:.0%} free)" if line.free_quantity else ""
    return f"{text} {plural(line.unit, line.quantity)}{free}"


def rows(estimates: Sequence[Estimate]) -> list[Row]:
    """Line items aligned across designs: a row per (service, item) of any design."""
    order: list[tuple[str, str]] = []
    for estimate in estimates:
        for line in estimate.lines:
            key = (line.service.value, line.item)
            if key not in order:
                order.append(key)
    by_design = [{(line.service.value, line.item): line for line in e.lines} for e in estimates]
    table: list[Row] = []
    for key in order:
        first = next(lines[key] for lines in by_design if key in lines)
        amounts = tuple(usd(lines[key].amount) if key in lines else "—" for lines in by_design)
        table.append((key[0], key[1], _quantity(first), first.basis.value, amounts))
    return table


def totals(estimates: Sequence[Estimate]) -> list[tuple[str, tuple[str, ...]]]:
    return [
        ("fixed", tuple(usd(e.fixed) for e in estimates)),
        ("variable", tuple(usd(e.variable) for e in estimates)),
        ("total per month", tuple(usd(e.total) for e in estimates)),
        ("largest service", tuple(e.largest_service().value for e in estimates)),
    ]


def rich_report(title: str, estimates: Sequence[Estimate]) -> Group:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("Service")
    table.add_column("Item")
    table.add_column("Quantity (deployed)", justify="right")
    table.add_column("Basis")
    for estimate in estimates:
        table.add_column(estimate.design.title, justify="right")
    for service, item, quantity, basis, amounts in rows(estimates):
        table.add_row(service, item, quantity, basis, *amounts)
    table.add_section()
    for name, values in totals(estimates):
        table.add_row("", Text(name, style="bold"), "", "", *values)
    notes = Text("\n".join(f"• {note}" for note in estimates[0].notes), style="dim")
    extra = [n for e in estimates[1:] for n in e.notes if n not in estimates[0].notes]
    unique_extra = list(dict.fromkeys(extra))
    if unique_extra:
        notes.append("\n" + "\n".join(f"• {note}" for note in unique_extra))
    return Group(table, notes)


def _line_json(line: LineItem) -> dict[str, Any]:
    return {
        "service": line.service.value,
        "item": line.item,
        "price_key": line.price_key,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "free_quantity": str(line.free_quantity),
        "basis": line.basis.value,
        "amount": str(line.amount),
        "usd": str(cents(line.amount)),
    }


def estimate_json(estimate: Estimate) -> dict[str, Any]:
    traffic = estimate.traffic
    return {
        "design": {
            "title": estimate.design.title,
            "api": estimate.design.api.value,
            "waf": estimate.design.waf,
        },
        "traffic": {name: str(getattr(traffic, name)) for name in traffic.__slots__},
        "lines": [_line_json(line) for line in estimate.lines],
        "fixed_usd": str(cents(estimate.fixed)),
        "variable_usd": str(cents(estimate.variable)),
        "total_usd": str(cents(estimate.total)),
        "largest_service": estimate.largest_service().value,
        "notes": list(estimate.notes),
    }


def report_json(
    scenario_key: str,
    estimates: Sequence[Estimate],
    deployment: Deployment,
    sheet: PriceSheet,
    assumptions: Assumptions,
) -> dict[str, Any]:
    workload = estimates[0].workload
    return {
        "scenario": scenario_key,
        "workload": {
            name: str(getattr(workload, name))
            for name in workload.__slots__
            if name != "billed_duration"
        }
        | {
            "billed_duration_ms": workload.billed_duration.billed_ms,
            "billed_duration_origin": workload.billed_duration.origin,
        },
        "deployment": {name: str(getattr(deployment, name)) for name in deployment.__slots__},
        "price_sheet": {
            "region": sheet.region,
            "currency": sheet.currency,
            "read_on": sheet.read_on.isoformat(),
        },
        "assumptions": {
            "free_tier": assumptions.free_tier.value,
            "api_gateway_bills_waf_blocked": assumptions.api_gateway_bills_waf_blocked,
        },
        "estimates": {estimate.design.key: estimate_json(estimate) for estimate in estimates},
    }
