"""A bounded HTTP/1.1 load generator, for machines without `wrk`: run it in its own process.

N keep-alive connections on loopback, each sending the same request back to back for a fixed
duration; prints one JSON line with the figures the wrk script prints. The token and body come
from the environment (BENCH_TOKEN, BENCH_BODY), never the command line, where `ps` shows them.

    python -m bench.load_generator --url http://127.0.0.1:PORT/prod/orders --connections 32
        --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from urllib.parse import urlsplit


def _request(url: str, token: str, body: bytes) -> bytes:
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {token}\r\nContent-Type: application/json\r\n"
        f"User-Agent: orders-api-bench/1 (python)\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


async def _connection(
    host: str,
    port: int,
    request: bytes,
    deadline: float,
    latencies: list[float],
    tally: dict[str, int],
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        tally["socket_errors"] += 1
        return
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if not status_line.split(b" ", 2)[1].startswith(b"2"):
                tally["non_2xx"] += 1
    except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
        tally["socket_errors"] += 1
    finally:
        writer.close()


async def run(
    url: str, connections: int, duration: float, token: str, body: bytes
) -> dict[str, float]:
    parts = urlsplit(url)
    request = _request(url, token, body)
    latencies: list[float] = []
    tally = {"non_2xx": 0, "socket_errors": 0}
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(
        *(
            _connection(
                parts.hostname or "127.0.0.1", parts.port or 80, request, deadline, latencies, tally
            )
            for _ in range(connections)
        )
    )
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies),
        "duration_s": elapsed,
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "mean_ms": sum(ordered) / len(ordered),
        "max_ms": ordered[-1],
        **tally,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    arguments = parser.parse_args()
    if urlsplit(arguments.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("loopback only")
    figures = asyncio.run(
        run(
            arguments.url,
            arguments.connections,
            arguments.duration,
            os.environ["BENCH_TOKEN"],
            os.environ["BENCH_BODY"].encode(),
        )
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
