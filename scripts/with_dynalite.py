"""Run a command with dynalite (a DynamoDB-compatible server) on a free loopback port.

Usage: python scripts/with_dynalite.py COMMAND [ARGS...]

Starts the dynalite named by DYNALITE_BIN, sets ORDERS_TEST_DYNAMODB_ENDPOINT for the
command, and stops dynalite afterwards whatever happens. A DYNALITE_BIN that does not start is
an error (exit 1, the command is not run): `make test` installed it, so its contract cases must
run, not be skipped. Without DYNALITE_BIN the command runs alone and those cases are skipped
with a printed reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def main(command: list[str]) -> int:
    env = dict(os.environ)
    dynalite = env.get("DYNALITE_BIN")
    process: subprocess.Popen[bytes] | None = None
    if dynalite and not os.access(dynalite, os.X_OK):
        print(f"DYNALITE_BIN={dynalite} is not an executable", file=sys.stderr, flush=True)
        return 1
    if dynalite:
        port = _free_port()
        process = subprocess.Popen(
            [dynalite, "--port", str(port), "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        if process is not None:
            if not _wait_until_listening(port, process, seconds=60):
                print(f"{dynalite} did not start listening", file=sys.stderr, flush=True)
                return 1
            env["ORDERS_TEST_DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{port}"
            print(f"dynalite listening on 127.0.0.1:{port}", flush=True)
        return subprocess.call(command, env=env)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
