"""The local twin under load, against a minimal Starlette + PyJWT + SQLite server, same run.

The twin runs as `orders-api serve` (WAF on with the rate limit raised so that every rule
evaluates and none trips, the Cognito authorizer on, durable SQLite); a user signs in to its
identity provider; the baseline (`bench/baseline_server.py`) verifies the same ID token against
the same JWKS key. Each is driven with authenticated `POST /prod/orders` at 32 connections for a
fixed duration from another process: `wrk` with `bench/wrk/post_orders.lua` when installed,
else `bench/load_generator.py`. Loopback only; every server is stopped before returning.

    python -m bench.twin_load [--duration S] [--connections N] [--generator auto|wrk|python]
                              [--profile PATH]   (py-spy on the twin during its run)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
from botocore.config import Config
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bench import process_cpu
from bench.common import machine, write_result

ROOT = Path(__file__).parents[1]
LUA_SCRIPT = Path(__file__).parent / "wrk" / "post_orders.lua"
ORDER = {
    "items": [{"sku": "TSHIRT-RED-M", "quantity": 2}, {"sku": "MUG-01", "quantity": 1}],
    "shippingAddress": {
        "name": "Aoife O'Brien",
        "line1": "12 Harbour Road",
        "city": "Cork",
        "postalCode": "T12 X2Y3",
        "country": "IE",
    },
    "note": "Leave at the door",
}
RATE_LIMIT_NEVER_TRIPPED = 2_000_000_000
"""AWS's maximum rate limit: the rule evaluates every request and never blocks one."""
STARTUP_SECONDS = 60.0
TARGETS = {"throughput_ratio_min": 1.0, "p99_ms_max": 20.0}
"""Issue 17: at least the bare server's throughput, p99 at most 20 ms, at 32 connections."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server not ready after {STARTUP_SECONDS} s:\n{log.read_text()}")


@contextmanager
def _server(command: list[str], ready_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT
        )
    try:
        _wait_ready(ready_url, process, log)
        yield process
    finally:
        _stop(process)


@contextmanager
def running_twin(work: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    data_dir = work / "twin"
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "orders_api.cli",
        "serve",
        "--port",
        str(port),
        "--idp-port",
        "0",
        "--data-dir",
        str(data_dir),
        "--rate-limit",
        str(RATE_LIMIT_NEVER_TRIPPED),
    ]
    ready = f"http://127.0.0.1:{port}/__twin/ready"
    with _server(command, ready, work / "twin.log") as process:
        deadline = time.monotonic() + STARTUP_SECONDS
        while httpx.get(ready, timeout=2).json().get("status") != "ready":
            if time.monotonic() > deadline:
                raise TimeoutError("the twin never reported ready")
            time.sleep(0.1)
        outputs = json.loads((data_dir / "outputs.json").read_text())
        yield process, outputs


def sign_in(outputs: dict[str, Any]) -> str:
    """A new confirmed user of the twin's pool; its ID token."""
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=outputs["IdpEndpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="bench",  # the local pool only checks that Admin* calls are signed
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )
    email = f"bench-{secrets.token_hex(4)}@example.com"
    password = "Aa1!" + secrets.token_hex(8)
    cognito.admin_create_user(
        UserPoolId=outputs["UserPoolId"],
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=outputs["UserPoolId"], Username=email, Password=password, Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


@contextmanager
def running_baseline(work: Path, token: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    client_id = jwt.decode(token, options={"verify_signature": False})["aud"]
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "bench.baseline_server",
        "--port",
        str(port),
        "--jwks-url",
        f"{issuer}/.well-known/jwks.json",
        "--issuer",
        issuer,
        "--client-id",
        client_id,
        "--db",
        str(work / "baseline.sqlite3"),
    ]
    ready = f"http://127.0.0.1:{port}/__twin/ready"
    with _server(command, ready, work / "baseline.log") as process:
        yield process, f"http://127.0.0.1:{port}/prod/orders"


def _check_one(url: str, token: str) -> None:
    response = httpx.post(url, json=ORDER, headers={"Authorization": token}, timeout=10)
    if response.status_code != 201:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")


def _generator_command(generator: str, url: str, connections: int, duration: float) -> list[str]:
    if generator == "wrk":
        return [
            "wrk",
            "-t1",  # one thread: the other core is the server's
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            url,
        ]
    return [
        sys.executable,
        "-m",
        "bench.load_generator",
        "--url",
        url,
        "--connections",
        str(connections),
        "--duration",
        str(duration),
    ]


def drive(
    label: str,
    url: str,
    token: str,
    *,
    generator: str,
    connections: int,
    duration: float,
    progress: Progress,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """Load `url` for `duration` seconds from another process; the generator's figures, and
    with `server_pid` the CPU milliseconds per request of each role of the server's process
    tree (`process_cpu.py`) and of the load generator."""
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_BODY": json.dumps(ORDER)}
    server_before = process_cpu.reading(server_pid) if server_pid is not None else None
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    task = progress.add_task(f"{label} ({generator}, {connections} conn)", total=duration)
    process = subprocess.Popen(
        _generator_command(generator, url, connections, duration),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    started = time.monotonic()
    while process.poll() is None:
        progress.update(task, completed=min(duration, time.monotonic() - started))
        try:
            process.wait(0.2)
        except subprocess.TimeoutExpired:
            if time.monotonic() - started > duration + 60:
                process.kill()
                raise
    progress.update(task, completed=duration)
    stdout, stderr = (stream.read().decode() for stream in (process.stdout, process.stderr))  # type: ignore[union-attr]
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode}): {stderr}")
    figures: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    figures["requests_per_s"] = figures["requests"] / figures["duration_s"]
    figures["generator"] = generator
    if server_pid is not None and server_before is not None and figures["requests"]:
        spent = process_cpu.spent_by_role(server_before, process_cpu.reading(server_pid))
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent["load generator"] = (
            children_after.ru_utime
            + children_after.ru_stime
            - children_before.ru_utime
            - children_before.ru_stime
        )
        figures["cpu_ms_per_request"] = {
            role: round(seconds * 1000 / figures["requests"], 3)
            for role, seconds in sorted(spent.items())
        }
    return figures


def _profile(twin: subprocess.Popen[bytes], duration: float, path: Path) -> subprocess.Popen[bytes]:
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(twin.pid),
            "--duration",
            str(max(1, round(duration) - 1)),
            "--format",
            "raw",
            "--output",
            str(path),
            "--nonblocking",
            "--gil",  # only the thread holding the GIL: where the CPU goes
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(
    duration: float = 10.0,
    connections: int = 32,
    generator: str = "auto",
    profile: Path | None = None,
) -> dict[str, Any]:
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    with tempfile.TemporaryDirectory(prefix="orders-bench-") as scratch:
        work = Path(scratch)
        with (
            running_twin(work) as (twin, outputs),
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeRemainingColumn(),
                transient=False,
            ) as progress,
        ):
            token = sign_in(outputs)
            twin_url = outputs["ApiUrl"] + "orders"
            with running_baseline(work, token) as (baseline_process, baseline_url):
                for url in (twin_url, baseline_url):
                    _check_one(url, token)  # both answer 201 before anything is timed
                warm = min(2.0, duration / 5)
                for label, url in (("warm-up twin", twin_url), ("warm-up baseline", baseline_url)):
                    drive(
                        label,
                        url,
                        token,
                        generator=generator,
                        connections=connections,
                        duration=warm,
                        progress=progress,
                    )
                baseline = drive(
                    "baseline",
                    baseline_url,
                    token,
                    generator=generator,
                    connections=connections,
                    duration=duration,
                    progress=progress,
                    server_pid=baseline_process.pid,
                )
            spy = _profile(twin, duration, profile) if profile else None
            twin_figures = drive(
                "twin",
                twin_url,
                token,
                generator=generator,
                connections=connections,
                duration=duration,
                progress=progress,
                server_pid=twin.pid,
            )
            if spy is not None:
                spy.wait(30)
            stored = _stored_orders(Path(outputs["TableName"]))
    result = {
        "machine": machine(),
        "connections": connections,
        "duration_s": duration,
        "twin": twin_figures,
        "baseline": baseline,
        "throughput_ratio": twin_figures["requests_per_s"] / baseline["requests_per_s"],
        "p99_ratio": twin_figures["p99_ms"] / baseline["p99_ms"],
        "twin_orders_stored": stored,
        "targets": TARGETS,
    }
    write_result("twin_load", result)
    return result


def _stored_orders(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM orders").fetchone()
    return int(count)


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, this, baseline, ratio, target) for `make bench`'s table."""
    twin, base = result["twin"], result["baseline"]
    label = f"twin POST /orders, {result['connections']} conn"
    return _load_rows(result, twin, base, label) + _cpu_rows(result, twin, base, label)


def _cpu_rows(
    result: dict[str, Any], twin: dict[str, Any], base: dict[str, Any], label: str
) -> list[tuple[str, str, str, str, str]]:
    """CPU per request by process role, and what the machine's cores allow at that cost."""
    twin_cpu, base_cpu = twin.get("cpu_ms_per_request"), base.get("cpu_ms_per_request")
    if not twin_cpu or not base_cpu:
        return []

    def ms(figures: dict[str, float], role: str) -> str:
        return f"{figures[role]:.3f} ms" if role in figures else ""

    table = [
        (f"{label}: CPU per request, {role}", ms(twin_cpu, role), ms(base_cpu, role), "", "")
        for role in sorted(set(twin_cpu) | set(base_cpu))
    ]
    twin_total, base_total = sum(twin_cpu.values()), sum(base_cpu.values())
    cores = result["machine"]["cpus"]
    table.append(
        (
            f"{label}: CPU per request, all processes",
            f"{twin_total:.3f} ms (at most {cores * 1000 / twin_total:.0f} req/s on {cores} CPUs)",
            f"{base_total:.3f} ms",
            f"{twin_total / base_total:.2f}x",
            "",
        )
    )
    return table


def _load_rows(
    result: dict[str, Any], twin: dict[str, Any], base: dict[str, Any], label: str
) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            f"{label}: throughput",
            f"{twin['requests_per_s']:.0f} req/s",
            f"{base['requests_per_s']:.0f} req/s",
            f"{result['throughput_ratio']:.2f}x",
            f">= {TARGETS['throughput_ratio_min']}x",
        ),
        (
            f"{label}: p50 latency",
            f"{twin['p50_ms']:.2f} ms",
            f"{base['p50_ms']:.2f} ms",
            f"{twin['p50_ms'] / base['p50_ms']:.2f}x",
            "",
        ),
        (
            f"{label}: p99 latency",
            f"{twin['p99_ms']:.2f} ms",
            f"{base['p99_ms']:.2f} ms",
            f"{result['p99_ratio']:.2f}x",
            f"<= {TARGETS['p99_ms_max']:.0f} ms",
        ),
        (
            f"{label}: non-2xx / socket errors",
            f"{twin['non_2xx']} / {twin['socket_errors']}",
            f"{base['non_2xx']} / {base['socket_errors']}",
            "",
            "0 / 0",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--profile", type=Path, help="py-spy raw (collapsed) stacks of the twin")
    arguments = parser.parse_args()
    result = run(arguments.duration, arguments.connections, arguments.generator, arguments.profile)
    for row in rows(result):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
