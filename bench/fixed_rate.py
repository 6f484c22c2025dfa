"""An open-loop load: requests sent at a fixed rate whatever the answers' pace, each one's
latency counted from when it was *due* (so a slow server cannot hide its queue, as a closed loop
like wrk's would: no coordinated omission). Plain HTTP/1.1 keep-alive connections on asyncio,
the requests prepared beforehand, so the client costs little of the machine it shares."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    latencies: list[float]  # seconds, from due time to the end of the answer
    errors: int  # a status other than 2xx, or a connection failure
    sent: int
    seconds: float


def http_post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run(
    host: str, port: int, requests: Sequence[bytes], *, rate: float, seconds: float, connections: int = 64
) -> Outcome:
    # The generator must not pause while it times others: a full collection of its own heap
    # (the prepared requests, the bench's imports) held its loop 20–80 ms, counted as the
    # server's latency. Nothing it allocates in one run needs collecting before the run ends.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return asyncio.run(_run(host, port, requests, rate, seconds, connections))
    finally:
        gc.enable()
        gc.unfreeze()


async def _run(
    host: str, port: int, requests: Sequence[bytes], rate: float, seconds: float, connections: int
) -> Outcome:
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one(request: bytes, due: float) -> None:
        nonlocal errors
        reader, writer = await idle.get()
        try:
            writer.write(request)
            status = await _answer(reader)
            if not 200 <= status < 300:
                errors += 1
            latencies.append(time.perf_counter() - due)
            idle.put_nowait((reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            errors += 1
            idle.put_nowait(await asyncio.open_connection(host, port))

    start = time.perf_counter()
    count = int(rate * seconds)
    for n in range(count):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(requests[n % len(requests)], due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not idle.empty():
        _, writer = idle.get_nowait()
        writer.close()
    return Outcome(sorted(latencies), errors, count, elapsed)


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


def percentile(values: Sequence[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")
