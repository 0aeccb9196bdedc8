"""Load test of the JSON API: many concurrent clients on loopback, latency percentiles, errors.

    python -m rag.loadtest                      # starts app.py on a free port, 16 clients
    python -m rag.loadtest --url http://127.0.0.1:7860 --clients 32 --requests 4

One unmeasured request warms the server up; one client alone then gives the time of a single
answer, and the concurrent run follows. Each client sends its requests one after another; a
run stops at `--requests` per client or after `--max-seconds`, whichever comes first. The result replaces the part of BENCHMARKS.md
between `<!-- load:begin -->` and `<!-- load:end -->`, leaving the rest of the file alone.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .report import machine

BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
QUESTIONS = [
    "Who chairs the CSTO?",
    "How many security officers were killed?",
    "How many people were detained?",
    "What is the capital of France?",
    "Who did Tokayev blame for the unrest?",
    "Which alliance sent troops to Kazakhstan?",
    "Where did the protests start?",
    "What happened to fuel prices?",
]


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    clients: int
    latencies: list[float]  # seconds, successful requests only
    errors: dict[str, int]  # reason -> count
    wall_s: float
    health_latencies: tuple[float, ...] = ()  # GET /api/health while the clients ran

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def _client(http, number: int, requests: int, deadline: float, latencies, errors) -> None:
    for i in range(requests):
        if time.monotonic() >= deadline:
            return
        question = QUESTIONS[(number + i) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            response = await http.post("/api/ask", json={"question": question, "k": 5})
            body = response.json()
            if response.status_code != 200 or "answer" not in body:
                reason = f"HTTP {response.status_code}"
                errors[reason] = errors.get(reason, 0) + 1
                continue
        except Exception as exc:  # a failed request is a measured error, not a crash of the run
            reason = type(exc).__name__
            errors[reason] = errors.get(reason, 0) + 1
            continue
        latencies.append(time.perf_counter() - started)


async def run_load(url: str, clients: int, requests: int, max_seconds: float, token: str | None) -> Result:
    """Run `clients` concurrent clients against `url` and collect their latencies."""
    import httpx

    if clients < 1 or requests < 1 or max_seconds <= 0:
        raise ValueError(f"clients, requests and max_seconds must be positive, got {clients}, {requests}, {max_seconds}")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    health: list[float] = []
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=max_seconds) as http:
        started = time.monotonic()
        deadline = started + max_seconds
        done = asyncio.Event()
        watcher = asyncio.create_task(_watch_health(http, done, health))
        await asyncio.gather(*(_client(http, n, requests, deadline, latencies, errors) for n in range(clients)))
        wall = time.monotonic() - started
        done.set()
        await watcher
    return Result(clients, latencies, errors, wall, tuple(health))


async def _watch_health(http, done: asyncio.Event, latencies: list[float]) -> None:
    """Time GET /api/health every 0.2 s: does the server stay responsive while it is busy?"""
    while not done.is_set():
        started = time.perf_counter()
        try:
            if (await http.get("/api/health")).status_code == 200:
                latencies.append(time.perf_counter() - started)
        except Exception:  # only responsiveness is measured here; /api/ask errors are counted
            pass
        try:
            await asyncio.wait_for(done.wait(), timeout=0.2)
        except asyncio.TimeoutError:
            pass


async def measure(url: str, args: argparse.Namespace) -> list[Result]:
    """Warm-up (not counted), one client alone, then `args.clients` at once."""
    await run_load(url, 1, 1, args.max_seconds, args.token)
    runs = [1, args.clients] if args.clients > 1 else [1]
    return [await run_load(url, clients, args.requests if clients > 1 else max(args.requests, 8),
                           args.max_seconds, args.token) for clients in runs]


def _row(result: Result) -> str:
    lat = result.latencies
    if not lat:
        return f"| {result.clients} | {result.requests} | 0 | {sum(result.errors.values())} | - | - | - | 0 |"
    return (f"| {result.clients} | {result.requests} | {len(lat)} | {sum(result.errors.values())} | "
            f"{percentile(lat, 50) * 1000:.0f} | {percentile(lat, 95) * 1000:.0f} | {max(lat) * 1000:.0f} | "
            f"{len(lat) / result.wall_s:.2f} |")


def report(results: list[Result], command: str, target: str) -> str:
    """The BENCHMARKS.md section for a baseline and a concurrent run, markers included."""
    counts: dict[str, int] = {}
    for result in results:
        for reason, n in result.errors.items():
            counts[reason] = counts.get(reason, 0) + n
    errors = ", ".join(f"{n} x {reason}" for reason, n in sorted(counts.items())) or "none"
    busiest = results[-1]
    health = (f"While {busiest.clients} clients waited, `GET /api/health` took p95 "
              f"{percentile(list(busiest.health_latencies), 95) * 1000:.0f} ms over "
              f"{len(busiest.health_latencies)} probes: the server stays responsive while answers queue."
              if busiest.health_latencies else "")
    return "\n".join([
        BEGIN,
        "## Load: concurrent clients on the JSON API",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Target: `POST {target}/api/ask` on loopback, k=5, {len(QUESTIONS)} questions in rotation",
        "",
        "| clients | requests | ok | errors | p50 ms | p95 ms | max ms | answers/s |",
        "|---|---|---|---|---|---|---|---|",
        *(_row(result) for result in results),
        "",
        f"Errors: {errors}. The server answers one question at a time (one lock shared by the chat,",
        "the widget and the API), so latency under load is about the queue length times the time of",
        "one answer, and throughput is that of a single answer.",
        *([health] if health else []),
        END,
    ])


def write_section(path: Path, section: str) -> None:
    """Put `section` between the load markers of `path`, creating the file or the markers if needed."""
    from .report import replace_marked

    replace_marked(path, BEGIN, END, section)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args) -> tuple[subprocess.Popen, str]:
    """app.py in its own process, so the load generator does not share its interpreter."""
    import httpx

    port = _free_port()
    command = [sys.executable, str(Path(args.app)), "--host", "127.0.0.1", "--port", str(port),
               "--seeds", str(args.seeds), "--index", str(args.index)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"app.py exited with code {server.returncode} before serving")
        try:
            if httpx.get(f"{url}/api/health", headers=headers, timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"app.py did not answer /api/health within {args.start_timeout:.0f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running server; by default app.py is started on a free port")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--requests", type=int, default=4, help="requests per client (default 4)")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="stop sending after this long (default 180)")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"), help="file to update")
    parser.add_argument("--app", default="app.py")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--start-timeout", type=float, default=300.0, help="seconds to wait for app.py")
    parser.add_argument("--token", default=os.environ.get("RAG_TOKEN") or None, help="env RAG_TOKEN")
    parser.add_argument("--no-write", action="store_true", help="print the section without updating the file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m rag.loadtest " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    server = None
    try:
        if args.url:
            url = args.url.rstrip("/")
        else:
            server, url = start_server(args)
        results = asyncio.run(measure(url, args))
    except (RuntimeError, ValueError) as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    section = report(results, command.strip(), "http://127.0.0.1:PORT" if server else url)
    print(section)
    if not args.no_write:
        write_section(args.output, section)
    return 0 if all(not r.errors and r.latencies for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
