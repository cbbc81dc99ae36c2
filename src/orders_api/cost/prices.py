"""The price sheet: AWS prices per region as data, each dated and sourced, free tiers apart.

Sheets live in `sheets/<region>.toml`; amounts are decimal strings there so that no price
ever passes through a float.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FreeTierTerm = Literal["always", "12-months"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Data):
    up_to: Decimal | None = None
    """Where this band of cumulative monthly usage ends; None for the last band."""
    price: Decimal = Field(ge=0)


class Price(_Data):
    """One AWS price: what it is per, where it was read, and when."""

    unit: str
    per: Decimal = Decimal(1)
    """The price is quoted per this many units (per million requests: 1,000,000)."""
    source: str
    read_on: date
    tiers: tuple[Tier, ...] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _bands_ascend_and_end_open(self) -> Price:
        bounds = [tier.up_to for tier in self.tiers]
        if bounds[-1] is not None or any(bound is None for bound in bounds[:-1]):
            raise ValueError("only the last tier is open-ended")
        closed = [bound for bound in bounds if bound is not None]
        if closed != sorted(closed) or len(set(closed)) != len(closed):
            raise ValueError("tier bounds must ascend")
        return self

    @property
    def first_rate(self) -> Decimal:
        """The price of one unit in the first band (what a small workload pays)."""
        return self.tiers[0].price / self.per

    def charge(self, quantity: Decimal) -> Decimal:
        """What `quantity` units in one month cost, walking the bands. Unrounded."""
        total = Decimal(0)
        start = Decimal(0)
        for tier in self.tiers:
            end = quantity if tier.up_to is None else min(quantity, tier.up_to)
            if end > start:
                total += (end - start) * tier.price / self.per
            if tier.up_to is None or quantity <= tier.up_to:
                break
            start = tier.up_to
        return total


class FreeAllowance(_Data):
    """A monthly free-tier allowance of the account, shared by the prices it applies to."""

    quantity: Decimal = Field(ge=0)
    unit: str
    applies_to: tuple[str, ...] = Field(min_length=1)
    term: FreeTierTerm
    source: str
    read_on: date
    note: str = ""


class PriceSheet(_Data):
    region: str
    currency: Literal["USD"]
    prices: dict[str, Price]
    free_tier: dict[str, FreeAllowance]

    @model_validator(mode="after")
    def _allowances_name_known_prices(self) -> PriceSheet:
        for name, allowance in self.free_tier.items():
            unknown = set(allowance.applies_to) - set(self.prices)
            if unknown:
                raise ValueError(f"free tier {name} applies to unknown prices {sorted(unknown)}")
        return self

    def __getitem__(self, key: str) -> Price:
        return self.prices[key]

    @property
    def read_on(self) -> date:
        """The oldest reading in the sheet: the date the sheet as a whole is good for."""
        dates = [p.read_on for p in self.prices.values()]
        dates += [a.read_on for a in self.free_tier.values()]
        return min(dates)

    def with_price(self, key: str, price: Price) -> PriceSheet:
        """A copy with one price replaced (what a dated example used, for instance)."""
        return self.model_copy(update={"prices": {**self.prices, key: price}})


class UnknownRegion(LookupError):
    """No price sheet for this region."""


def available_regions() -> tuple[str, ...]:
    sheets = resources.files("orders_api.cost").joinpath("sheets")
    return tuple(
        sorted(p.name.removesuffix(".toml") for p in sheets.iterdir() if p.name.endswith(".toml"))
    )


def load_price_sheet(region: str = "us-east-1") -> PriceSheet:
    if region not in available_regions():
        raise UnknownRegion(f"no price sheet for {region}; have {', '.join(available_regions())}")
    text = resources.files("orders_api.cost").joinpath("sheets", f"{region}.toml").read_text()
    return PriceSheet.model_validate(tomllib.loads(text))
