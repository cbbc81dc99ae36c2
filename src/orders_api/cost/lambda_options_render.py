"""The memory and SnapStart comparison as rows: one layout for the terminal and for Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.console import Group
from rich.table import Table
from rich.text import Text

from orders_api.cost.lambda_options import OptionEstimate
from orders_api.cost.render import usd

HEADER = (
    "Memory",
    "SnapStart",
    "Cold starts / month",
    "Each adds (modelled)",
    "Warm billed",
    "Requests + duration",
    "Init or restore",
    "SnapStart cache + restores",
    "Orders function / month",
    "vs deployed",
)


def _dollars(amount: Decimal) -> str:
    """Cents, as the bill shows; below a cent, enough digits to see what an option changes."""
    if Decimal("0.00005") <= abs(amount) < Decimal("0.01"):
        return f"${amount:.4f}"
    return usd(amount)


def _seconds(milliseconds: Decimal) -> str:
    return f"{milliseconds / 1000:.2f} s" if milliseconds >= 1000 else f"{milliseconds:.0f} ms"


def _cold_starts(estimate: OptionEstimate) -> str:
    text = f"{estimate.cold_starts:,.0f}"
    if estimate.burst_environments:
        text += f" ({estimate.burst_environments} at the burst)"
    if estimate.burst_turned_away:
        text += f"; {estimate.burst_turned_away} throttled if it starts as a step"
    return text


def _difference(estimate: OptionEstimate, deployed: OptionEstimate | None) -> str:
    if estimate.deployed or deployed is None:
        return "deployed" if estimate.deployed else "—"
    delta = estimate.total - deployed.total
    if abs(delta) < Decimal("0.00005"):
        return "same"
    return ("+" if delta >= 0 else "-") + _dollars(abs(delta))


def rows(estimates: Sequence[OptionEstimate]) -> list[tuple[str, ...]]:
    deployed = next((e for e in estimates if e.deployed), None)
    table: list[tuple[str, ...]] = []
    for estimate in estimates:
        table.append(
            (
                f"{estimate.option.memory_mb} MB",
                "on" if estimate.option.snapstart else "off",
                _cold_starts(estimate),
                _seconds(estimate.cold_start_ms),
                f"{estimate.warm_billed_ms} ms",
                _dollars(estimate.running),
                _dollars(estimate.cold_start_duration),
                _dollars(estimate.snapstart_charges) if estimate.option.snapstart else "—",
                _dollars(estimate.total),
                _difference(estimate, deployed),
            )
        )
    return table


def rich_table(title: str, estimates: Sequence[OptionEstimate], notes: Sequence[str]) -> Group:
    table = Table(title=title, title_justify="left")
    for index, name in enumerate(HEADER):
        table.add_column(name, justify="left" if index < 2 else "right")
    for row in rows(estimates):
        table.add_row(*row, style="bold" if row[-1] == "deployed" else None)
    return Group(table, Text("\n".join(f"• {note}" for note in notes), style="dim"))


def markdown_table(estimates: Sequence[OptionEstimate]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|" + "---:|" * (len(HEADER) - 2)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(estimates)]
    return "\n".join(lines) + "\n"
