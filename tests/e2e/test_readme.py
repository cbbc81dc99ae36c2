"""Every command in README.md is run, so the README cannot rot.

Blocks fenced as ```console are the walk-through: each `$ ` line is run with bash against a
twin this module starts (free ports, its data dir `.orders-api` in the commands' working
directory, started with the `make run ARGS=...` the README tells the reader to use), found
through ORDERS_API_OUTPUTS as the README documents; the lines under it are its expected output,
in order, with `...` standing for anything (a whole line, or part of one). A command succeeds
unless its last expected line is `(exit status N)`. Commands in one README share their shell
variables, as they would in a person's terminal.

Every other block that holds commands must say why it is not run: `make run` and `make test`
are not re-run here (`make test` is this very test run, and `make run` the twin it starts), and
AWS-only commands (bootstrap, deploy, IAM) need an account the tests never have.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import Twin, start_twin
from tests.paths import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
NOT_RUN_MARKERS = ("not run by tests/e2e/test_readme.py", "Not re-run by tests/e2e/test_readme.py")
PROMPT = "$ "
COMMAND_SECONDS = 120
EXIT_STATUS = re.compile(r"\(exit status (\d+)\)")
MAKE_RUN_ARGS = re.compile(r'^make run ARGS="([^"]*)"$', re.MULTILINE)


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """What the command must exit with: 0, or the `(exit status N)` its output ends with."""
        last = self.expected[-1].strip() if self.expected else ""
        match = EXIT_STATUS.fullmatch(last)
        return int(match.group(1)) if match else 0

    @property
    def expected_output(self) -> list[str]:
        return self.expected[:-1] if self.exit_status else self.expected


def twin_arguments(readme: str) -> list[str]:
    """The ARGS the README tells the reader to restart `make run` with (the rate-limit demo)."""
    found = MAKE_RUN_ARGS.findall(readme)
    assert found, 'the README never says which `make run ARGS="..."` its rate-limit demo needs'
    return shlex.split(found[-1])


def blocks(text: str) -> list[tuple[str, str]]:
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(text)]


def steps(block: str) -> list[Step]:
    parsed: list[Step] = []
    for line in block.splitlines():
        if line.startswith(PROMPT):
            parsed.append(Step(line[len(PROMPT) :]))
        elif parsed:
            parsed[-1].expected.append(line.rstrip())
        elif line.strip():
            raise AssertionError(f"console block must start with a `$ ` command: {line!r}")
    return parsed


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split("...")))


def unmatched(expected: list[str], actual: str) -> list[str]:
    """The expected lines not found, in order, among the actual output's lines."""
    lines = [line.rstrip() for line in actual.splitlines()]
    position = 0
    missing: list[str] = []
    for wanted in expected:
        if wanted.strip() in ("", "..."):
            continue
        pattern = _pattern(wanted)
        for index in range(position, len(lines)):
            if pattern.fullmatch(lines[index]):
                position = index + 1
                break
        else:
            missing.append(wanted)
    return missing


def test_the_matcher_needs_every_expected_line_in_order() -> None:
    output = "HTTP/1.1 201 Created\nlocation: /prod/orders/abc\n\n{}\n"
    assert unmatched(["HTTP/1.1 201 Created", "...", "location: /prod/orders/..."], output) == []
    assert unmatched(["location: ...", "HTTP/1.1 201 Created"], output) == ["HTTP/1.1 201 Created"]
    assert unmatched(["HTTP/1.1 401 Unauthorized"], output) == ["HTTP/1.1 401 Unauthorized"]


def test_every_command_block_is_run_or_says_why_not() -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    assert any(language == "console" for language, _ in found)
    for language, body in found:
        if language in ("console", "mermaid"):
            continue
        assert any(marker in body for marker in NOT_RUN_MARKERS), (
            f"a ```{language} block is neither run nor marked as not run:\n{body}"
        )


def test_the_first_screen_has_the_two_commands() -> None:
    first_screen = README.read_text(encoding="utf-8")[:2500]
    assert "```mermaid" in first_screen
    assert "make run" in first_screen
    assert "make test" in first_screen


def test_the_exit_status_line_names_what_a_failing_command_exits_with() -> None:
    assert Step("false", ["error: no", "(exit status 1)"]).exit_status == 1
    assert Step("false", ["error: no", "(exit status 1)"]).expected_output == ["error: no"]
    assert Step("true", ["fine"]).exit_status == 0


def test_the_rate_limit_demo_tells_the_reader_how_to_start_the_twin() -> None:
    assert "--rate-limit" in twin_arguments(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def readme_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    # The data folder a plain `make run` uses, in the directory the commands run from.
    data_dir = tmp_path_factory.mktemp("readme") / ".orders-api"
    running = start_twin(data_dir, *twin_arguments(README.read_text(encoding="utf-8")))
    try:
        yield running
    finally:
        running.stop()


def test_the_walk_through_runs_as_written(readme_twin: Twin, tmp_path: Path) -> None:
    walk_through = [
        step
        for language, body in blocks(README.read_text(encoding="utf-8"))
        if language == "console"
        for step in steps(body)
    ]
    assert len(walk_through) >= 10
    state = tmp_path / "shell-state"
    state.write_text("", encoding="utf-8")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ORDERS_API_OUTPUTS": str(readme_twin.outputs_path),
        "ORDERS_API_CACHE_DIR": str(tmp_path / "cache"),
        "COLUMNS": "100",
        "NO_COLOR": "1",
    }
    for step in walk_through:
        # Variables the README sets (API, TOKEN, ORDER_ID) carry over to the next command.
        script = (
            f"source {shlex.quote(str(state))}\nset -o pipefail\n{step.command}\nstatus=$?\n"
            f"declare -p API TOKEN ORDER_ID 2>/dev/null > {shlex.quote(str(state))}\nexit $status"
        )
        finished = subprocess.run(
            ["bash", "-c", script],
            cwd=readme_twin.data_dir.parent,
            stdin=subprocess.DEVNULL,
            env=environment,
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )
        output = finished.stdout + finished.stderr
        assert finished.returncode == step.exit_status, f"$ {step.command}\n{output}"
        missing = unmatched(step.expected_output, output)
        assert not missing, f"$ {step.command}\nexpected, not found: {missing}\ngot:\n{output}"
