"""Bounded load run of the feed server: N concurrent clients for T seconds on 127.0.0.1.

Publishes a solve folder into a throw-away store, issues a token per feed, starts
``altsched serve`` in a child process on a free local port and lets N asyncio clients poll
feeds for T seconds, as calendar apps do: half revalidate with If-None-Match (expect 304),
half fetch the whole feed (expect 200), one request in twenty uses an unknown token
(expect 404). Anything else, or a transport error, is an error. Prints p50/p99 latency and
error counts and writes a table to bench/results/feed_load.md.

    python bench/feed_load.py --dir out/demo --clients 200 --seconds 10

The client runs in one Python process on the same machine, so latencies include the
client's own scheduling; they are an upper bound on what the server adds.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from scheduler.calendar import tokens as tk
from scheduler.calendar.store import Store, publish
from scheduler.calendar.term import load_calendar_instance, read_assignments

MAX_CLIENTS = 1000
MAX_SECONDS = 60
RESULTS = Path(__file__).parent / "results" / "feed_load.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


async def _client(
    base: str,
    feeds: list[tuple[str, str]],
    until: float,
    lat: list[float],
    errors: dict[str, int],
    rng: random.Random,
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        while time.monotonic() < until:
            token, etag = rng.choice(feeds)
            roll = rng.random()
            if roll < 0.05:
                token, headers, want = tk.new_token(), {}, 404
            elif roll < 0.5:
                headers, want = {"If-None-Match": etag}, 304
            else:
                headers, want = {}, 200
            t0 = time.perf_counter()
            try:
                r = await http.get(f"/feeds/{token}.ics", headers=headers)
                status = r.status_code
            except httpx.HTTPError as e:
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                continue
            lat.append(time.perf_counter() - t0)
            if status != want:
                errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1


async def _run(
    base: str, feeds: list[tuple[str, str]], clients: int, seconds: float
) -> tuple[list[float], dict[str, int], float]:
    lat: list[float] = []
    errors: dict[str, int] = {}
    t0 = time.monotonic()
    until = t0 + seconds
    await asyncio.gather(
        *(_client(base, feeds, until, lat, errors, random.Random(i)) for i in range(clients))
    )
    return lat, errors, time.monotonic() - t0


@contextmanager
def served(instance: Path, directory: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Publish DIR's timetable to a temporary store, issue a token per feed and run
    ``altsched serve`` on a free local port; yields the base URL and (token, ETag) pairs."""
    inst, _ = load_calendar_instance(instance)
    table = read_assignments(directory / "assignments.csv")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        with Store(path) as st:
            publish(st, inst, table, label="bench")
            latest = st.latest()
            assert latest is not None
            etags = {f.key: f.etag for f in st.feeds(latest.version)}
            feeds = [(tk.issue(st, key).token, etag) for key, etag in etags.items()]
        port = _free_port()
        # One address sends every request: the 404 limit (docs/calendar.md) would answer 429.
        cmd = [sys.executable, "-m", "scheduler.cli", "serve", "--store", str(path),
               "--host", "127.0.0.1", "--port", str(port), "--miss-limit", "0"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_up(port, proc)
            yield f"http://127.0.0.1:{port}", feeds
        finally:
            proc.terminate()
            proc.wait(10)


def _pct(sorted_lat: list[float], p: float) -> float:
    if not sorted_lat:
        return float("nan")
    return sorted_lat[min(len(sorted_lat) - 1, int(p / 100 * len(sorted_lat)))] * 1000


def main() -> None:
    """Parse arguments, run the load, print and record the result."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instance", type=Path, default=Path("instances/demo"))
    ap.add_argument("--dir", type=Path, default=Path("out/demo"), help="holds assignments.csv")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--no-record", action="store_true", help="do not write the results table")
    args = ap.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"keep it bounded: 1-{MAX_CLIENTS} clients, up to {MAX_SECONDS} s")

    with served(args.instance, args.dir) as (base, feeds):
        lat, errors, took = asyncio.run(_run(base, feeds, args.clients, args.seconds))

    lat.sort()
    n_err = sum(errors.values())
    row = {
        "clients": args.clients,
        "seconds": round(took, 1),
        "feeds": len(feeds),
        "requests": len(lat) + sum(v for k, v in errors.items() if not k.startswith("HTTP")),
        "req/s": round(len(lat) / took),
        "p50 ms": round(_pct(lat, 50), 1),
        "p99 ms": round(_pct(lat, 99), 1),
        "max ms": round(lat[-1] * 1000, 1) if lat else float("nan"),
        "errors": n_err,
    }
    print("  ".join(f"{k}={v}" for k, v in row.items()))
    if errors:
        print("errors:", errors)
    if not args.no_record:
        _record(row, args)
    if n_err:
        raise SystemExit(1)


def _record(row: dict[str, object], args: argparse.Namespace) -> None:
    """Append the run to the results table (written with its header the first time)."""
    import os
    from datetime import date

    row = {"date": date.today().isoformat(), "load avg": f"{os.getloadavg()[0]:.1f}", **row}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Feed server load runs\n\n"
            "`python bench/feed_load.py --dir DIR --clients N --seconds T` against\n"
            "`altsched serve` on 127.0.0.1 (one uvicorn worker, a child process). Closed loop,\n"
            "no think time: each client sends its next request as soon as the last one is\n"
            "answered. Mix: 45% If-None-Match revalidations (304), 50% full fetches (200),\n"
            "5% unknown tokens (404). An error is any other status or a transport failure.\n"
            "Client and server share the machine; `load avg` is the 1-minute load at the end.\n\n"
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.system()}.\n\n"
            "| " + " | ".join(row) + " |\n|" + "---|" * len(row) + "\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write("| " + " | ".join(str(v) for v in row.values()) + " |\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
