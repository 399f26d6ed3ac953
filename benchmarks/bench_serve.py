"""Load on ``textmine serve`` against ``analyze`` in one process, and a bad-input run.

Starts ``textmine serve`` (the shipped model, a bearer token, 127.0.0.1 and a free port
only) and sends ``--requests`` requests, ``--concurrency`` at a time, each with 1-50
real comments drawn from ``../shared/data`` (read at run time). Reports failed requests
(any answer but 200 with one result per text), p50 and p99 latency, texts per second,
and the server's memory (RSS of the server and its worker processes) at most in the
first and in the last quarter of the run. Then, in this process, the same batches go
through ``model.analyze`` one after the other: texts per second of one process, to
compare with the service's; and, for reference, the same texts in calls of 1,000
(at most ``--chunked-seconds``), the speed ``analyze`` reaches on large batches.

The bad-input run sends ``--bad`` malformed requests of each kind (malformed JSON, too
deep nesting, not UTF-8, not an object, no ``texts``, an unknown field, ``texts`` not an
array, an empty array, a non-string item, too many texts, a body over the limit by its
``Content-Length`` and streamed without one, no token, a wrong token), checks every
answer is the expected 4xx, that ``/healthz`` still answers, and that the answers to a
set of good requests are the same before and after.

Bounded: the load run stops issuing requests after ``--max-seconds``, and the one-process
run stops after as long; the server is always stopped (SIGTERM) at the end.

    python benchmarks/bench_serve.py [--requests 20000] [--concurrency 32] [--workers 1] [--bad 1000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _corpus import SHARED_DATA

DATA_FILES = ("waimai_10k.csv", "online_shopping_9_cats.csv")


def real_comments() -> list[str]:
    """The review texts of the two public review sets, read at run time."""
    import pandas as pd

    return [t for name in DATA_FILES
            for t in pd.read_csv(SHARED_DATA / name, dtype=str, keep_default_na=False)["review"].tolist()]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants still running (Linux /proc)."""
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, token: str, log: Path) -> subprocess.Popen:
    import httpx

    env = {**os.environ, "TEXTMINE_API_TOKEN": token}
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "textmine", "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", str(workers), "--no-access-log"], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the server did not answer /healthz within 600 s; see {log}")


async def load_run(base: str, token: str, batches: list[list[str]], concurrency: int, max_seconds: float,
                   pid: int) -> dict:
    """Send every batch, ``concurrency`` at a time; latency per request and RSS samples."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    samples: list[tuple[int, int]] = []  # (requests done, RSS)
    next_index = 0
    stop_at = time.monotonic() + max_seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < len(batches) and time.monotonic() < stop_at:
            texts = batches[next_index]
            next_index += 1
            start = time.perf_counter()
            try:
                response = await client.post("/v1/analyze", json={"texts": texts})
                ok = response.status_code == 200 and len(response.json()["results"]) == len(texts)
                if not ok:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - start)

    async def sampler() -> None:
        while True:
            samples.append((len(latencies), rss_bytes(pid)))
            await asyncio.sleep(1.0)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=300) as client:
        watch = asyncio.create_task(sampler())
        start, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(pid), time.process_time()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - start
        server_cpu, client_cpu = cpu_seconds(pid) - server_cpu, time.process_time() - client_cpu
        watch.cancel()
    samples.append((len(latencies), rss_bytes(pid)))
    done = len(latencies)
    first = max(r for n, r in samples if n <= done / 4)
    last = max(r for n, r in samples if n >= 3 * done / 4)
    return {"requests": done, "failed": len(failures), "failures": failures[:5], "seconds": seconds,
            "texts": sum(len(b) for b in batches[:done]), "p50": statistics.median(latencies),
            "p99": statistics.quantiles(latencies, n=100)[98], "rss_first": first, "rss_last": last,
            "server_cpu": server_cpu, "client_cpu": client_cpu}


def bad_requests(max_texts: int, max_body: int, token: str) -> dict[str, tuple[int, dict]]:
    """Kind -> (expected status, keyword arguments of one httpx request)."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    too_large = json.dumps({"texts": ["长" * (max_body // 3 + 10)]}).encode()

    async def streamed():  # no Content-Length: the server counts as the body arrives
        for start in range(0, len(too_large), 65536):
            yield too_large[start:start + 65536]

    def body(content, headers=auth):
        return {"content": content, "headers": headers}

    return {
        "malformed_json": (400, body(b'{"texts": ["a", ')),
        "deep_nesting": (400, body(b"[" * 100_000)),
        "not_utf8": (400, body('{"texts": ["好评"]}'.encode("gbk"))),
        "not_an_object": (422, body(b'["a"]')),
        "missing_texts": (422, body(b'{"text": ["a"]}')),
        "unknown_field": (422, body(b'{"texts": ["a"], "lang": "zh"}')),
        "not_a_list": (422, body(b'{"texts": "a"}')),
        "empty_list": (422, body(b'{"texts": []}')),
        "non_string_item": (422, body(b'{"texts": ["a", 3]}')),
        "too_many_texts": (413, body(json.dumps({"texts": ["好"] * (max_texts + 1)}).encode())),
        "body_too_large": (413, body(too_large)),
        "body_too_large_streamed": (413, {"content": streamed, "headers": auth}),
        "no_token": (401, body(b'{"texts": ["a"]}', {"Content-Type": "application/json"})),
        "wrong_token": (401, body(b'{"texts": ["a"]}', {"Authorization": "Bearer wrong"})),
    }


async def bad_run(base: str, token: str, count: int, concurrency: int, reference: list[list[str]]) -> dict:
    import httpx

    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=300,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def answers() -> list:
            return [(await client.post("/v1/analyze", json={"texts": t}, headers=auth)).json() for t in reference]

        before = await answers()
        report = {}
        for kind, (expected, request) in bad_requests(1000, 2 * 1024 * 1024, token).items():
            statuses: dict[str, int] = {}
            left = count

            async def one() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    kwargs = dict(request)
                    if callable(kwargs["content"]):
                        kwargs["content"] = kwargs["content"]()
                    try:
                        got = str((await client.post("/v1/analyze", **kwargs)).status_code)
                    except httpx.HTTPError as exc:
                        got = type(exc).__name__
                    statuses[got] = statuses.get(got, 0) + 1

            await asyncio.gather(*(one() for _ in range(concurrency)))
            report[kind] = {"expected": expected, "statuses": statuses,
                            "ok": statuses == {str(expected): count}}
        healthy = (await client.get("/healthz")).status_code == 200
        unchanged = await answers() == before
    return {"kinds": report, "healthy": healthy, "unchanged": unchanged}


def one_process(batches: list[list[str]], max_seconds: float) -> dict:
    """Texts per second of ``analyze`` in this process, one call per batch, until done or
    ``max_seconds`` have passed."""
    import textmine

    model = textmine.load_model()
    model.analyze(["预热"])
    texts = 0
    start = time.perf_counter()
    for batch in batches:
        model.analyze(batch)
        texts += len(batch)
        if time.perf_counter() - start > max_seconds:
            break
    return {"texts": texts, "seconds": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--bad", type=int, default=1_000, help="malformed requests of each kind (0: skip)")
    parser.add_argument("--max-seconds", type=float, default=3_600, help="time bound of the load run and of the one-process run")
    parser.add_argument("--chunked-seconds", type=float, default=120,
                        help="time bound of the reference run of analyze in calls of 1,000 texts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not SHARED_DATA.is_dir():
        print(f"skipped: the public data sets are not at {SHARED_DATA}", file=sys.stderr)
        return 0

    pool = real_comments()
    rng = random.Random(args.seed)
    batches = [rng.sample(pool, rng.randint(1, 50)) for _ in range(args.requests)]
    token = secrets.token_urlsafe(16)
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="bench_serve_")) / "server.log"
    base = f"http://127.0.0.1:{port}"
    print(f"{args.requests:,} requests of 1-50 comments ({sum(map(len, batches)):,} texts), {args.concurrency} at a time, "
          f"{args.workers} worker(s); server log {log}", flush=True)
    server = start_server(port, args.workers, token, log)
    try:
        warm = asyncio.run(load_run(base, token, batches[:args.concurrency], args.concurrency, args.max_seconds, server.pid))
        load = asyncio.run(load_run(base, token, batches, args.concurrency, args.max_seconds, server.pid))
        bad = asyncio.run(bad_run(base, token, args.bad, args.concurrency, batches[:20])) if args.bad else None
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=120)
    alone = one_process(batches[:load["requests"]], args.max_seconds)
    flat = [t for batch in batches[:load["requests"]] for t in batch]
    chunked = one_process([flat[i:i + 1_000] for i in range(0, len(flat), 1_000)], args.chunked_seconds)

    rate = load["texts"] / load["seconds"]
    alone_rate = alone["texts"] / alone["seconds"]
    growth = load["rss_last"] / load["rss_first"] - 1
    print(f"warm-up: {warm['requests']} requests, {warm['failed']} failed")
    print(f"service: {load['requests']:,} requests, {load['failed']} failed, {load['texts']:,} texts in {load['seconds']:,.1f} s: "
          f"{rate:,.0f} texts/s; latency p50 {load['p50'] * 1000:,.0f} ms, p99 {load['p99'] * 1000:,.0f} ms")
    print(f"CPU during the load run: server {load['server_cpu']:,.1f} s, load generator {load['client_cpu']:,.1f} s")
    for failure in load["failures"]:
        print(f"  failed: {failure}")
    print(f"server RSS: first quarter {load['rss_first'] / 2**20:,.0f} MiB, last quarter {load['rss_last'] / 2**20:,.0f} MiB "
          f"({growth:+.1%})")
    print(f"analyze in one process, same batches: {alone['texts']:,} texts in {alone['seconds']:,.1f} s: {alone_rate:,.0f} texts/s; "
          f"service / one process = {rate / alone_rate:.0%}")
    print(f"analyze in one process, the same texts in calls of 1,000 (for reference; at most {args.chunked_seconds:,.0f} s): "
          f"{chunked['texts']:,} texts in {chunked['seconds']:,.1f} s: {chunked['texts'] / chunked['seconds']:,.0f} texts/s")
    if bad:
        for kind, row in bad["kinds"].items():
            print(f"bad input {kind:<24} expected {row['expected']}: {row['statuses']} {'ok' if row['ok'] else 'WRONG'}")
        print(f"after the bad input: healthz {'200' if bad['healthy'] else 'FAILED'}, answers to 20 good requests "
              f"{'unchanged' if bad['unchanged'] else 'CHANGED'}")
    print(f"server exit status after SIGTERM: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
