"""HTTP API under load: ``--clients`` concurrent clients on GET /v1/runs/{id} and POST
/v1/policy/check against ``conduit serve`` on loopback, for ``--seconds``.

Setup (not timed): a temporary ``CONDUIT_HOME`` (the embedded PostgreSQL, ``conduit init``) and
data root with the bank-transaction example's files, one API key per client (tenant ``bench``,
role analyst), one run created over the API (``start: false``), then ``conduit serve`` as a
subprocess (``--workers``), waited for on ``/healthz`` and warmed up.

Keys: one per client, with the default per-key bucket (``CONDUIT_API_RATE``/``BURST``, 50/s and
100). That is what a real client population looks like, and no client comes near 50 requests/s
(even with no think time 50 clients share the server's few hundred requests/s), so the limiter
is exercised (one bucket take per request) but never refuses; raising the rate instead would hide
nothing but also test a setup nobody deploys. Each key is authenticated against the store once,
then served from the API's key cache (``KEY_CACHE_S``).

Load: from this process, asyncio + one ``httpx.AsyncClient`` (a keep-alive connection per
client). Each client alternates GET run / POST policy check; between requests it waits a think
time drawn from an exponential distribution of mean ``--think-ms`` (seeded), so the clients do
not march in lockstep. It is a closed loop: with ``--think-ms 0`` the 50 clients saturate the
server and latency is just concurrency / throughput (Little's law), which says what the server
can do, not what a client sees. The default think time (250 ms: 50 clients offer at most
~200 requests/s) is a busy but realistic population and below the measured capacity of 2 workers
on a 2-core machine; both offered (nominal: clients / (think + latency)) and achieved rates are
printed. The load generator shares the 2 cores with the server, so the client-side figures
include its own scheduling delay; the server's p95 from its ``/metrics`` histogram (one worker
only, interpolated in the histogram's buckets) is printed as a cross-check.

An error is a status other than 200 or an exception. Targets (the issue): p95 < 50 ms,
p99 < 150 ms, zero errors. The server and the embedded PostgreSQL are stopped and the temporary
folder removed at the end, also on error. The last line is JSON.
Run: ``python bench/api_load.py [--seconds 30] [--clients 50] [--think-ms 250] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "bank_transactions"
CONDUIT = ROOT / ".venv" / "bin" / "conduit"
TARGET_P95_MS, TARGET_P99_MS = 50.0, 150.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _contract() -> dict[str, Any]:
    import yaml

    contract: dict[str, Any] = yaml.safe_load((EXAMPLE / "contract.yaml").read_text())
    contract.pop("rbac_actor", None)
    contract["rhs"]["location"] = "sqlite:///bank.sqlite"
    return contract


def _policy_request() -> dict[str, Any]:
    import yaml

    body: dict[str, Any] = yaml.safe_load((EXAMPLE / "policy_request.yaml").read_text())
    return body


def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    rank = min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[rank]


def _figures(samples: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "requests": len(samples),
        "errors": errors,
        "rps": round(len(samples) / seconds, 1),
        "p50_ms": round(_percentile(ordered, 50), 2),
        "p95_ms": round(_percentile(ordered, 95), 2),
        "p99_ms": round(_percentile(ordered, 99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else None,
    }


def _histogram(text: str, routes: set[str]) -> dict[float, float]:
    """Cumulative bucket counts of the request-duration histogram for ``routes`` (status 200)."""
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if not line.startswith("conduit_http_request_duration_seconds_bucket{"):
            continue
        labels, value = line.rsplit(" ", 1)
        fields = dict(part.split("=", 1) for part in labels[labels.index("{") + 1 : -1].split(","))
        if fields.get("route", "").strip('"') not in routes or fields.get("status") != '"200"':
            continue
        le = fields["le"].strip('"')
        bound = float("inf") if le == "+Inf" else float(le)
        buckets[bound] = buckets.get(bound, 0.0) + float(value)
    return buckets


def _histogram_p(before: dict[float, float], after: dict[float, float], q: float) -> float | None:
    """The ``q`` percentile (ms) of the observations between two scrapes, linear in a bucket."""
    delta = sorted((b, after.get(b, 0.0) - before.get(b, 0.0)) for b in after)
    total = delta[-1][1] if delta else 0.0
    if total <= 0:
        return None
    want, lower, below = q / 100 * total, 0.0, 0.0
    for bound, count in delta:
        if count >= want:
            if bound == float("inf"):
                return lower * 1000
            share = (want - below) / (count - below) if count > below else 1.0
            return (lower + share * (bound - lower)) * 1000
        lower, below = bound, count
    return None


async def _load(
    base: str,
    tokens: list[str],
    run_id: str,
    policy_body: dict[str, Any],
    seconds: float,
    think_ms: float,
    record: bool = True,
) -> dict[str, Any]:
    import httpx

    samples: dict[str, list[float]] = {"get_run": [], "policy_check": []}
    errors: dict[str, int] = {"get_run": 0, "policy_check": 0}
    kinds: dict[str, str] = {}
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    deadline = time.perf_counter() + seconds

    async def client(index: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(index)
        headers = {"Authorization": f"Bearer {tokens[index]}"}
        turn = index % 2
        # spread the first requests over one think time, as a running population would be
        if think_ms > 0:
            await asyncio.sleep(rng.uniform(0, think_ms) / 1000)
        while time.perf_counter() < deadline:
            name = "get_run" if turn == 0 else "policy_check"
            turn ^= 1
            started = time.perf_counter()
            try:
                if name == "get_run":
                    response = await http.get(f"/v1/runs/{run_id}", headers=headers)
                else:
                    response = await http.post(
                        "/v1/policy/check", json=policy_body, headers=headers
                    )
                ok = response.status_code == 200
                if not ok:
                    kinds.setdefault(f"{name} {response.status_code}", response.text[:300])
            except Exception as e:  # an error of the bench's own tally, never raised
                ok = False
                kinds.setdefault(f"{name} {type(e).__name__}", str(e)[:300])
            elapsed_ms = (time.perf_counter() - started) * 1000
            if ok:
                samples[name].append(elapsed_ms)
            else:
                errors[name] += 1
            if think_ms > 0:
                await asyncio.sleep(rng.expovariate(1000 / think_ms))

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as http:
        await asyncio.gather(*(client(i, http) for i in range(len(tokens))))
    wall = time.perf_counter() - started
    if not record:
        return {}
    every = samples["get_run"] + samples["policy_check"]
    return {
        "wall_s": wall,
        "get_run": _figures(samples["get_run"], errors["get_run"], wall),
        "policy_check": _figures(samples["policy_check"], errors["policy_check"], wall),
        "overall": _figures(every, errors["get_run"] + errors["policy_check"], wall),
        "error_kinds": kinds,
    }


def _start_server(
    env: dict[str, str], port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    argv = [str(CONDUIT), "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers)]
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def _wait_healthy(base: str, server: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"conduit serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"conduit serve did not answer /healthz within {timeout_s:.0f} s")


def _stop_server(server: subprocess.Popen[bytes] | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _setup(folder: Path, clients: int, redis_url: str | None) -> tuple[dict[str, str], list[str]]:
    """The server's environment and one key per client (the embedded store left running)."""
    home, data = folder / "home", folder / "data"
    data.mkdir()
    for name in ("transactions.csv", "target_schema.yaml"):
        shutil.copy(EXAMPLE / name, data / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    env |= {"CONDUIT_HOME": str(home), "CONDUIT_DATA_ROOT": str(data)}
    if redis_url:
        env["CONDUIT_REDIS_URL"] = redis_url
    subprocess.run([str(CONDUIT), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(env)  # this process holds the embedded server from here on

    from core.db import open_database
    from core.settings import Settings
    from supervisor.keys import create_key

    db = open_database(Settings())
    try:
        tokens = [
            create_key(db, tenant="bench", actor=f"client{i:03d}", role="analyst", label="bench")[1]
            for i in range(clients)
        ]
    finally:
        db.dispose()
    return env, tokens


def _create_run(base: str, token: str) -> str:
    import httpx

    response = httpx.post(
        f"{base}/v1/runs",
        json={"contract": _contract(), "start": False},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST /v1/runs: {response.status_code} {response.text[:500]}")
    run_id: str = response.json()["run_id"]
    return run_id


def _server_p95(base: str, before: str, after: str) -> float | None:
    routes = {"/v1/runs/{run_id}", "/v1/policy/check"}
    found = _histogram_p(_histogram(before, routes), _histogram(after, routes), 95)
    return round(found, 2) if found is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think-ms", type=float, default=250.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--redis", default=None, help="CONDUIT_REDIS_URL for the server (off).")
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 1 <= args.seconds <= 600:
        parser.error("--clients is 1..500 and --seconds 1..600")

    import httpx

    folder = Path(tempfile.mkdtemp(prefix="conduit-api-load-"))
    server: subprocess.Popen[bytes] | None = None
    home = folder / "home"
    try:
        env, tokens = _setup(folder, args.clients, args.redis)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start_server(env, port, args.workers, folder / "server.log")
        _wait_healthy(base, server)
        run_id = _create_run(base, tokens[0])
        policy_body = _policy_request()
        print(
            f"server: {args.workers} worker(s), run {run_id}, {args.clients} clients "
            f"(one key each), think {args.think_ms:g} ms (exponential), {args.seconds:g} s",
            flush=True,
        )
        asyncio.run(_load(base, tokens, run_id, policy_body, args.warmup_s, args.think_ms, False))
        before = httpx.get(f"{base}/metrics", timeout=10.0).text
        result = asyncio.run(_load(base, tokens, run_id, policy_body, args.seconds, args.think_ms))
        after = httpx.get(f"{base}/metrics", timeout=10.0).text
        server_p95 = _server_p95(base, before, after) if args.workers == 1 else None
    finally:
        _stop_server(server)
        from core.embedded import stop_embedded

        stop_embedded(home)
        shutil.rmtree(folder, ignore_errors=True)

    overall = result["overall"]
    mean_s = overall["p50_ms"] / 1000 if overall["requests"] else 0.0
    offered = args.clients / (args.think_ms / 1000 + mean_s) if args.think_ms > 0 else None
    print(
        f"{'endpoint':<14} {'requests':>9} {'rps':>8} {'p50':>8} {'p95':>8} {'p99':>8} "
        f"{'max':>8} {'errors':>7}"
    )
    for name in ("get_run", "policy_check", "overall"):
        f = result[name]
        print(
            f"{name:<14} {f['requests']:>9} {f['rps']:>8.1f} {f['p50_ms']:>8.2f} "
            f"{f['p95_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['max_ms'] or 0:>8.2f} {f['errors']:>7}"
        )
    print(
        f"offered (nominal) {offered:.0f} rps, achieved {overall['rps']:.0f} rps"
        if offered
        else f"closed loop, no think time: achieved {overall['rps']:.0f} rps (saturation)"
    )
    print(
        f"server-side p95 (/metrics, one worker): {server_p95} ms"
        if server_p95 is not None
        else "server-side p95: n/a (with several workers /metrics shows one worker's registry)"
    )
    for kind, text in result["error_kinds"].items():
        print(f"first error {kind}: {text}")
    met = (
        overall["p95_ms"] < TARGET_P95_MS
        and overall["p99_ms"] < TARGET_P99_MS
        and overall["errors"] == 0
    )
    print(
        f"targets p95 < {TARGET_P95_MS:g} ms, p99 < {TARGET_P99_MS:g} ms, 0 errors: "
        f"{'met' if met else 'MISSED'}"
    )
    print(
        json.dumps(
            {
                "bench": "api_load",
                "clients": args.clients,
                "seconds": args.seconds,
                "think_ms": args.think_ms,
                "workers": args.workers,
                "redis": bool(args.redis),
                "offered_rps": round(offered, 1) if offered else None,
                "achieved_rps": overall["rps"],
                "get_run": result["get_run"],
                "policy_check": result["policy_check"],
                "overall": overall,
                "server_p95_ms": server_p95,
                "targets_met": met,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
