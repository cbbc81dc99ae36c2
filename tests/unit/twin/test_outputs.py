"""The start-up summary tells a newcomer what to type, where they are."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from orders_api.twin import outputs

OUTPUTS: dict[str, str | None] = {
    "ApiUrl": "http://127.0.0.1:3000/prod/",
    "UserPoolId": "local_abc",
    "IdpEndpoint": "http://127.0.0.1:9229",
}


def summary(data_dir: Path) -> str:
    stream = io.StringIO()
    outputs.print_summary(stream, OUTPUTS, data_dir / "outputs.json", data_dir)
    return stream.getvalue()


def test_without_orders_api_on_the_path_it_says_how_to_get_it_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(outputs.shutil, "which", lambda name: None)
    activate = Path(sys.executable).parent / "activate"
    if not activate.is_file():
        pytest.skip(f"{sys.executable} is not in a virtualenv with an activate script")
    text = summary(tmp_path)
    assert "source " in text
    assert "activate   # puts orders-api on the PATH" in text
    assert text.index("source ") < text.index("orders-api users create")


def test_with_orders_api_on_the_path_it_says_nothing_of_activation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(outputs.shutil, "which", lambda name: "/usr/local/bin/orders-api")
    assert "activate" not in summary(tmp_path)
