"""`make run` installs what the twin needs; `make test` the whole toolchain. Read from the
commands make would run on a machine with no virtualenv yet (`make -n`, nothing executed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.paths import ROOT


def planned(target: str, venv: Path) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    finished = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return finished.stdout


def test_make_run_installs_the_package_without_the_test_and_cdk_extras(tmp_path: Path) -> None:
    commands = planned("run", tmp_path / "fresh-venv")
    installs = [line for line in commands.splitlines() if "pip install" in line]
    assert any(line.endswith("install --quiet -e .") for line in installs), commands
    assert not any("dev" in line or "infra" in line for line in installs), commands
    assert "orders-api serve" in commands


def test_make_test_installs_the_extras_too(tmp_path: Path) -> None:
    commands = planned("test", tmp_path / "fresh-venv")
    assert "pip install --quiet -e '.[dev,infra]'" in commands
