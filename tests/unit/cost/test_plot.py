"""The cost chart: its labels readable, written in the format its file name asks for."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from matplotlib import pyplot

from orders_api.cost.deployed import read_deployment
from orders_api.cost.plot import cost_figure, plot_costs
from orders_api.cost.prices import load_price_sheet
from orders_api.cost.scenarios import scenario
from orders_api.cost.workload import DEFAULT_BILLED_DURATION

SMALL_BUSINESS = scenario("small-business", DEFAULT_BILLED_DURATION).workload


def test_no_label_on_the_chart_covers_another() -> None:
    figure, crossing = cost_figure(SMALL_BUSINESS, read_deployment(), load_price_sheet())
    try:
        assert crossing is not None, "the crossover box is one of the labels checked"
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        (axes,) = figure.axes
        boxes = {text.get_text(): text.get_window_extent(renderer) for text in axes.texts}
        assert any("stage throttle" in label for label in boxes)
        overlapping = [
            (first, second)
            for (first, box), (second, other) in combinations(boxes.items(), 2)
            if box.overlaps(other)
        ]
        assert overlapping == []
    finally:
        pyplot.close(figure)


@pytest.mark.parametrize(
    ("name", "signature"), [("cost.svg", b"<?xml"), ("cost.pdf", b"%PDF"), ("cost.png", b"\x89PNG")]
)
def test_the_chart_is_written_in_the_format_its_name_asks_for(
    tmp_path: Path, name: str, signature: bytes
) -> None:
    path = tmp_path / name
    plot_costs(path, SMALL_BUSINESS, read_deployment(), load_price_sheet())
    assert path.read_bytes().startswith(signature)


def test_a_format_it_cannot_write_is_refused_before_drawing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not '\.jpg'"):
        plot_costs(tmp_path / "cost.jpg", SMALL_BUSINESS, read_deployment(), load_price_sheet())
    assert not (tmp_path / "cost.jpg").exists()
