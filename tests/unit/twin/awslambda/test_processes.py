"""Execution environments as processes: isolation, the deployed timeout and memory, reuse,
and Lambda's REPORT line. Each test starts real processes (no sockets)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from orders_api.deployment.settings import FunctionSettings
from orders_api.twin.awslambda.context import FunctionIdentity
from orders_api.twin.awslambda.processes import FunctionError, ProcessEnvironments
from tests.paths import ROOT

SETTINGS = FunctionSettings(memory_mb=256, timeout_seconds=2)


class Reports(list[str]):
    def __call__(self, line: str) -> None:
        self.append(line)


@pytest.fixture
def reports() -> Reports:
    return Reports()


def _environments(
    handler: str, reports: Reports, count: int = 2, settings: FunctionSettings = SETTINGS
) -> ProcessEnvironments:
    return ProcessEnvironments(
        handler,
        count,
        settings=settings,
        environment={**os.environ, "PYTHONPATH": str(ROOT)},
        report=reports,
    )


@pytest.fixture
def identity() -> FunctionIdentity:
    return FunctionIdentity("OrdersApi-test", "us-east-1", "000000000000", SETTINGS)


def _context(identity: FunctionIdentity) -> Any:
    return identity.new_context()


def invoke(environments: ProcessEnvironments, event: dict[str, Any], context: Any) -> Any:
    return asyncio.run(environments.invoke(event, context))


@pytest.fixture
def echo(reports: Reports) -> Iterator[ProcessEnvironments]:
    environments = _environments("tests.twin_handlers.echo", reports)
    yield environments
    environments.close()


def test_a_warm_environment_is_reused_and_only_the_first_call_reports_an_init_duration(
    echo: ProcessEnvironments, identity: FunctionIdentity, reports: Reports
) -> None:
    first = invoke(echo, {"n": 1}, _context(identity))
    second = invoke(echo, {"n": 2}, _context(identity))
    assert (first["event"], second["event"]) == ({"n": 1}, {"n": 2})
    assert first["pid"] == second["pid"] != os.getpid()
    assert 0 < second["remainingMs"] <= 2000
    assert "Init Duration: " in reports[0]
    assert "Init Duration" not in reports[1]
    request_id, duration, billed, memory, used = reports[1].split("\t")
    assert request_id.startswith("REPORT RequestId: ")
    assert uuid.UUID(request_id.removeprefix("REPORT RequestId: "))
    assert duration.startswith("Duration: ")
    assert duration.endswith(" ms")
    assert billed.startswith("Billed Duration: ")
    assert memory == "Memory Size: 256 MB"
    assert 10 < int(used.removeprefix("Max Memory Used: ").removesuffix(" MB")) < 256
    summary = echo.durations_summary()
    assert (summary["warmInvocations"], summary["coldStarts"]) == (1, 1)


def test_concurrent_invocations_get_environments_of_their_own_up_to_the_limit(
    echo: ProcessEnvironments, identity: FunctionIdentity
) -> None:
    async def six_at_once() -> list[Any]:
        calls = [echo.invoke({"n": n}, _context(identity)) for n in range(6)]
        return await asyncio.wait_for(asyncio.gather(*calls), timeout=60)

    answers = asyncio.run(six_at_once())
    assert [answer["event"]["n"] for answer in answers] == list(range(6))
    assert 1 <= len({answer["pid"] for answer in answers}) <= 2


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("exit_now", "Runtime.ExitError", "Runtime exited with error: exit status 3"),
        ("segfault", "Runtime.ExitError", "Runtime exited with error: signal: segmentation fault"),
        ("raise_error", "RuntimeError", "the function's own error"),
        ("unserialisable", "Runtime.MarshalError", "not JSON serializable"),
    ],
)
def test_a_crash_fails_that_invocation_and_the_next_one_gets_a_working_environment(
    handler: str, error_type: str, message: str, identity: FunctionIdentity, reports: Reports
) -> None:
    environments = _environments(f"tests.twin_handlers.{handler}", reports, count=1)
    try:
        with pytest.raises(FunctionError) as failed:
            invoke(environments, {}, _context(identity))
        assert failed.value.error_type == error_type
        assert message in str(failed.value)
        with pytest.raises(FunctionError):  # and again: a fresh environment, the same fault
            invoke(environments, {}, _context(identity))
    finally:
        environments.close()
    crashed = error_type.startswith("Runtime.ExitError")
    assert sum("Init Duration" in line for line in reports) == (2 if crashed else 1)


def test_an_exit_leaves_other_environments_untouched(
    identity: FunctionIdentity, reports: Reports
) -> None:
    echo = _environments("tests.twin_handlers.echo", reports, count=1)
    crash = _environments("tests.twin_handlers.exit_now", reports, count=1)
    try:
        before = invoke(echo, {}, _context(identity))["pid"]
        with pytest.raises(FunctionError):
            invoke(crash, {}, _context(identity))
        assert invoke(echo, {}, _context(identity))["pid"] == before
    finally:
        echo.close()
        crash.close()


def test_an_error_at_import_is_an_import_module_error_every_time(
    identity: FunctionIdentity, reports: Reports
) -> None:
    environments = _environments("tests.twin_handler_broken_at_import.handler", reports)
    try:
        for _ in range(2):
            with pytest.raises(FunctionError) as failed:
                invoke(environments, {}, _context(identity))
            assert failed.value.error_type == "Runtime.ImportModuleError"
            assert "a_missing_dependency" in str(failed.value)
    finally:
        environments.close()


def test_an_invocation_past_the_timeout_is_stopped_with_its_environment(
    identity: FunctionIdentity, reports: Reports
) -> None:
    environments = _environments("tests.twin_handlers.sleep", reports, count=1)
    try:
        with pytest.raises(FunctionError) as failed:
            invoke(environments, {"seconds": 30}, _context(identity))
        assert failed.value.error_type == "Sandbox.Timedout"
        assert "Task timed out after 2.00 seconds" in str(failed.value)
        assert reports[-1].endswith("Status: timeout")
        assert invoke(environments, {"seconds": 0}, _context(identity)) == {"slept": True}
        assert "Init Duration" in reports[-1]  # a new, cold environment
    finally:
        environments.close()


def test_an_environment_over_its_memory_size_is_killed_as_out_of_memory(
    reports: Reports,
) -> None:
    small = FunctionSettings(memory_mb=128, timeout_seconds=30)
    identity = FunctionIdentity("OrdersApi-test", "us-east-1", "000000000000", small)
    environments = _environments("tests.twin_handlers.grow", reports, count=1, settings=small)
    try:
        assert invoke(environments, {"mb": 1}, identity.new_context()) == {"held": 1}
        with pytest.raises(FunctionError) as failed:
            invoke(environments, {"mb": 400}, identity.new_context())
        assert failed.value.error_type == "Runtime.OutOfMemory"
        assert invoke(environments, {"mb": 1}, identity.new_context()) == {"held": 1}
    finally:
        environments.close()


def test_an_environment_idle_past_its_time_is_retired_and_the_next_call_is_cold(
    identity: FunctionIdentity, reports: Reports
) -> None:
    environments = ProcessEnvironments(
        "tests.twin_handlers.echo",
        1,
        settings=SETTINGS,
        environment={**os.environ, "PYTHONPATH": str(ROOT)},
        report=reports,
        idle_seconds=0.2,
    )
    try:
        first = invoke(environments, {}, _context(identity))["pid"]
        deadline = time.monotonic() + 10
        while environments.durations_summary()["coldStarts"] == 1 and time.monotonic() < deadline:
            if invoke(environments, {}, _context(identity))["pid"] != first:
                break
            time.sleep(0.5)
        assert sum("Init Duration" in line for line in reports) == 2
    finally:
        environments.close()
