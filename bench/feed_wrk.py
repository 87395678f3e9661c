"""The feed server under wrk: 200 concurrent keep-alive connections for 10 s, on 127.0.0.1.

`bench/feed_load.py` measures with Python clients, which on a 2-core machine compete with
the server for the CPU and queue behind their own event loop: their tail latency is the
load generator's. wrk (C, epoll; Debian package `wrk`, installed here if missing) measures
the server. Three runs: full fetches of one ALT's feed (200), revalidations with its ETag
(304), and an unknown token (404). Writes `bench/results/feed_wrk.md`.

    python bench/feed_wrk.py --dir out/demo
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

from feed_load import served

from scheduler.calendar import tokens as tk

RESULTS = Path(__file__).resolve().parent / "results" / "feed_wrk.md"


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        found = shutil.which("wrk")
    assert found, "wrk could not be installed"
    return found


def run_wrk(wrk: str, url: str, clients: int, seconds: int, header: str | None) -> dict[str, str]:
    """One wrk run; its latency distribution, throughput and error counts."""
    cmd = [wrk, "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def grab(pattern: str) -> str:
        m = re.search(pattern, out)
        return m.group(1) if m else "0"

    return {
        "requests": grab(r"(\d+) requests in"),
        "req/s": grab(r"Requests/sec:\s+([\d.]+)"),
        "p50": grab(r"50%\s+(\S+)"),
        "p99": grab(r"99%\s+(\S+)"),
        "max": grab(r"Latency\s+\S+\s+\S+\s+(\S+)"),
        "socket errors": grab(r"Socket errors: (.*)") if "Socket errors" in out else "0",
        "non-2xx/3xx": grab(r"Non-2xx or 3xx responses: (\d+)"),
    }


def main() -> None:
    """Serve the timetable of --dir, run wrk three times, print and record."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instance", type=Path, default=Path("instances/demo"))
    ap.add_argument("--dir", type=Path, default=Path("out/demo"), help="holds assignments.csv")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    if not 1 <= args.clients <= 1000 or not 1 <= args.seconds <= 60:
        raise SystemExit("keep it bounded: 1-1000 connections, 1-60 s")
    wrk = ensure_wrk()
    rows = []
    with served(args.instance, args.dir) as (base, feeds):
        token, etag = feeds[0]
        runs = [
            ("full feed (200)", f"{base}/feeds/{token}.ics", None),
            ("revalidation (304)", f"{base}/feeds/{token}.ics", f"If-None-Match: {etag}"),
            ("unknown token (404)", f"{base}/feeds/{tk.new_token()}.ics", None),
        ]
        for name, url, header in runs:
            row = {"run": name, **run_wrk(wrk, url, args.clients, args.seconds, header)}
            print("  ".join(f"{k}={v}" for k, v in row.items()))
            rows.append(row)
    head = (
        "# Feed server under wrk\n\n"
        f"`python bench/feed_wrk.py --dir DIR --clients {args.clients} --seconds "
        f"{args.seconds}`: `altsched serve` (one uvicorn worker) and wrk (one thread, "
        f"{args.clients} keep-alive connections, closed loop) on the same machine, "
        f"127.0.0.1 only. Run on {date.today()}: {platform.machine()}, {os.cpu_count()} "
        f"cores, load average {os.getloadavg()[0]:.1f} at the end. The 404 run counts its "
        "answers as non-2xx/3xx by design.\n\n"
    )
    table = "| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]) + "\n"
    table += "".join("| " + " | ".join(r.values()) + " |\n" for r in rows)
    RESULTS.write_text(head + table, encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
