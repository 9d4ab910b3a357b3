"""Adapter costs: the import time of ``adapters``, and the router's overhead per call.

The overhead is measured side by side against the local wire-protocol server
(``tests/adapters/fake_providers.py``): the same OpenAI chat request sent ``--calls`` times with
a bare ``httpx.Client`` (raw), then through ``Router.infer`` (policy approval and masking,
context fitting, budget, cache key and lookup, breaker, wire translation, ledger hook), each
prompt distinct and ``fresh=True`` so neither the cache nor the per-text span cache helps.
``overhead_p50_ms`` = p50(router) - p50(raw). With ``--litellm``, ``litellm.completion`` is
timed the same way (it is not a dependency: install it, e.g. ``pip install --target DIR
litellm==1.100.0``, and pass ``--litellm-path DIR``).

Run: ``python bench/adapters.py [--calls N] [--litellm]``; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPT = (
    "Column `invoice_total_{i}` of table `ap_invoices`: type decimal(12,2), 3% nulls, "
    "shapes 9{{3}}.9{{2}} and 9{{1}},9{{3}}.9{{2}}. Which domain of the catalog fits best? "
    "Answer with the domain id."
)


def import_ms(module: str, runs: int = 7) -> float:
    """Median wall time of ``import module`` in a fresh interpreter, milliseconds."""
    timer = "import time; t = time.perf_counter(); import "
    code = timer + module + "; print((time.perf_counter() - t) * 1000)"
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--litellm", action="store_true")
    parser.add_argument(
        "--litellm-path", help="a folder where litellm was pip-installed with --target"
    )
    args = parser.parse_args()

    import httpx

    from adapters.registry import bundled_registry
    from adapters.router import Router
    from adapters.types import CallContext, ChatMessage
    from policy.manifest import current_manifest
    from tests.adapters.fake_providers import FakeProviders

    result: dict[str, object] = {
        "bench": "adapters",
        "import_adapters_ms": round(import_ms("adapters"), 1),
        "import_adapters_router_ms": round(import_ms("adapters.router"), 1),
        "import_target_ms": 150,
    }
    with FakeProviders() as server:
        base = server.base_url("openai")
        manifest = current_manifest()
        origin = base.split("/openai")[0]
        manifest = manifest.model_copy(
            update={"egress_allowlist": [*manifest.egress_allowlist, origin]}
        )
        router = Router(
            manifest=manifest,
            registry=bundled_registry(),
            base_urls={"openai": base},
            pii_key=b"bench" * 8,
        )
        ctx = CallContext(
            stage="domains",
            mode="metadata_only",
            actor_user_id="bench",
            actor_role="analyst",
            fresh=True,
        )
        spec = bundled_registry().get("openai/gpt-4o-mini")
        for i in range(20):  # warm: connections, the analyzer, the model registry
            router.infer(
                [ChatMessage(role="user", content=PROMPT.format(i=-i))],
                context=ctx,
                models=[spec.id],
            )
        raw_client = httpx.Client()
        raw, routed = [], []
        for i in range(args.calls):
            body = {
                "model": spec.model,
                "messages": [{"role": "user", "content": PROMPT.format(i=i)}],
                "max_tokens": 64,
            }
            t = time.perf_counter()
            raw_client.post(base + "/chat/completions", json=body).json()
            raw.append(time.perf_counter() - t)
            message = [ChatMessage(role="user", content=PROMPT.format(i=args.calls + i))]
            t = time.perf_counter()
            router.infer(message, context=ctx, models=[spec.id])
            routed.append(time.perf_counter() - t)
        raw_client.close()
        router.close()
        result.update(
            {
                "calls": args.calls,
                "raw_p50_ms": round(p50(raw), 3),
                "router_p50_ms": round(p50(routed), 3),
                "overhead_p50_ms": round(p50(routed) - p50(raw), 3),
                "overhead_target_ms": 2.0,
            }
        )
        if args.litellm:
            if args.litellm_path:
                sys.path.append(args.litellm_path)  # after our own packages: no shadowing
            result.update(_litellm(base, args.calls, p50(raw)))
    print(
        f"import adapters {result['import_adapters_ms']} ms; router overhead p50 "
        f"{result['overhead_p50_ms']} ms over raw HTTP ({result['raw_p50_ms']} ms)"
    )
    print(json.dumps(result))


def _litellm(base: str, calls: int, raw_p50_ms: float) -> dict[str, object]:
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    t = time.perf_counter()
    import litellm

    imported = (time.perf_counter() - t) * 1000
    times = []
    for i in range(calls):
        t = time.perf_counter()
        litellm.completion(
            model="openai/gpt-4o-mini",
            api_base=base,
            api_key="x",
            messages=[{"role": "user", "content": PROMPT.format(i=i)}],
        )
        times.append(time.perf_counter() - t)
    return {
        "litellm_import_ms": round(imported, 1),
        "litellm_overhead_p50_ms": round(p50(times) - raw_p50_ms, 3),
    }


if __name__ == "__main__":
    main()
