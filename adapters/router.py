"""The router: the one road from a specialist to a model.

``Router.infer`` takes a chat request and its ``CallContext`` and walks a chain of models chosen by
the routing profile. For each candidate, in this order, before any socket opens:

1. the Policy Engine masks the prompt and approves the call (provider lists, egress allow-list,
   ``local_only_override``, mode); a refusal skips the candidate without a request;
2. the prompt must fit the model's context (else a larger-context model is tried) and the
   per-request price ceiling;
3. the stage's remaining budget must cover the estimate (else the call exits early, on the ledger);
4. the cache is asked (unless ``fresh``); a hit returns without a request;
5. the provider's circuit breaker must be closed (or half-open for a probe).

Then the call goes out with retries for rate limits (``Retry-After`` honoured, within the lane's
deadline) and transient errors; unhealthy providers, exhausted quotas and context errors fall
back to the next candidate. Every outcome is one ledger event with tokens, dollars, retries and
the fallback chain.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from adapters.breaker import BreakerBoard
from adapters.cache import NEGATIVE_TTL_S, TTL_S, Cache, MemoryCache, cache_key
from adapters.errors import Failure, classify_response, classify_transport, to_error
from adapters.params import fit_to_context, token_estimate
from adapters.registry import ModelSpec, Registry
from adapters.routing import candidates
from adapters.spans import call_span, end_call_span
from adapters.types import CallContext, ChatMessage, EmbedResult, InferResult, Params, Usage
from adapters.wire import wire_for
from core.canonical import content_hash
from core.contract import PiiPolicy, RbacActor, RoutingProfile
from core.errors import ConduitError, DeterministicFailure, PolicyBlock
from ledger.events import LedgerEvent
from policy.engine import Message, PolicyRequest, TablePayload, evaluate, prepare
from policy.manifest import PolicyManifest

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

__all__ = ["DEADLINE_S", "BudgetExceeded", "Router"]

#: Per-lane deadline of one call, seconds (§16: interactive waits least).
DEADLINE_S = {"interactive": 30.0, "flex": 120.0, "batch": 600.0}
_RETRIES = 2
_RETRYABLE = frozenset({"RATE_LIMIT", "TRANSIENT_ERROR", "TIMEOUT"})


class BudgetExceeded(PolicyBlock):
    """The estimate of a call exceeds the stage's remaining budget; no request was made."""


@dataclass
class _Attempt:
    model_id: str
    outcome: str  # "ok", a §31 code, "policy", "context", "price", "breaker"


@dataclass
class _Trace:
    attempts: list[_Attempt] = field(default_factory=list)
    retries: int = 0
    params_hash: str | None = None  # of the last model's normalised parameters

    def chain(self) -> tuple[str, ...]:
        return tuple(f"{a.model_id}:{a.outcome}" for a in self.attempts)


class Router:
    """Specialists' handle on models. Thread-safe; one per process is enough."""

    def __init__(
        self,
        *,
        manifest: PolicyManifest,
        registry: Registry,
        base_urls: Mapping[str, str],
        api_keys: Mapping[str, str] | None = None,
        pii_key: bytes,
        cache: Cache | None = None,
        breakers: BreakerBoard | None = None,
        ledger: Callable[[LedgerEvent], object] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadlines: Mapping[str, float] | None = None,
    ) -> None:
        self.manifest = manifest
        self.registry = registry
        self.pii_key = pii_key
        self.base_urls = {k: v.rstrip("/") for k, v in base_urls.items()}
        self.api_keys = dict(api_keys or {})
        self.cache = cache if cache is not None else MemoryCache()
        self.breakers = breakers or BreakerBoard()
        self._ledger = ledger
        self._sleep = sleep
        self.deadlines = dict(deadlines or DEADLINE_S)
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    # -- public interface -------------------------------------------------------------------

    def token_estimate(self, messages: Sequence[ChatMessage]) -> int:
        return token_estimate(list(messages))

    def infer(
        self,
        messages: Sequence[ChatMessage],
        *,
        context: CallContext,
        params: Params | None = None,
        schema: type[BaseModel] | None = None,
        profile: RoutingProfile = "quality_first",
        models: Sequence[str] | None = None,
        max_usd_per_request: Decimal | None = None,
        tables: Sequence[TablePayload] = (),
    ) -> InferResult:
        """One chat completion, through policy, budget, cache, breakers and fallbacks.

        ``tables`` are row samples for the model: the Policy Engine masks them column by column
        (header and column evidence), then they are appended to the last message as CSV.
        """
        params = params or Params()
        chain = candidates(self.registry, self.manifest, context, profile, models, "chat")
        if not chain:
            raise PolicyBlock("no model of the registry is allowed for this call", field="provider")
        trace = _Trace()
        last: ConduitError | None = None
        for spec in chain:
            try:
                result = self._try(
                    spec,
                    list(messages),
                    list(tables),
                    params,
                    schema,
                    context,
                    trace,
                    max_usd_per_request,
                )
            except _Skip as skip:
                trace.attempts.append(_Attempt(spec.id, skip.outcome))
                last = skip.error or last
                continue
            if result is not None:
                return result
        error = last or PolicyBlock("every candidate model was refused", field="provider")
        self._record(context, None, trace, error=error)
        raise error

    def embed(
        self, texts: Sequence[str], *, context: CallContext, model: str | None = None
    ) -> EmbedResult:
        """Embeddings: the offline hashed n-gram embedder unless another is named: ``local/minilm``
        (the ``embeddings`` extra) or a registry embedding model (through policy, like a chat)."""
        started = time.perf_counter()
        from adapters.embed import LOCAL_MODELS, local_embed

        if model is None or model in LOCAL_MODELS:
            model = model or "local/hashed-ngrams"
            vectors = local_embed(model, list(texts))
            return EmbedResult(
                vectors=vectors,
                provider="local",
                model=model,
                usage=Usage(input_tokens=0, output_tokens=0),
                usd=Decimal(0),
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        spec = self.registry.get(model)
        if spec.modality != "embedding":
            raise DeterministicFailure(f"{model} is not an embedding model", field="model")
        messages = [ChatMessage(role="user", content=t) for t in texts]
        masked, _ = self._approve(spec, messages, [], context)
        wire = wire_for(spec.provider)
        path, body = wire.embed(spec, [m.content for m in masked])
        with call_span(spec, context, 0) as current:
            answer = self._post(spec, path, body, context)
            end_call_span(current, spec, answer, None)
        if isinstance(answer, Failure):
            raise to_error(answer, provider=spec.provider, model=spec.id)
        vectors, usage = wire.parse_embed(answer)
        return EmbedResult(
            vectors=vectors,
            provider=spec.provider,
            model=spec.id,
            usage=usage,
            usd=spec.cost(usage.input_tokens, 0),
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def health(self, provider: str) -> dict[str, Any]:
        """Reachability of a provider (one GET of its cheapest endpoint) and its breaker."""
        wire = wire_for(provider)
        state = self.breakers.state(provider)
        url = self.base_urls.get(provider)
        ok, detail = False, "no base URL configured"
        if url:
            try:
                response = self._http().get(
                    url + wire.HEALTH_PATH,
                    timeout=5.0,
                    headers=wire.headers(self.api_keys.get(provider, "")),
                )
                ok, detail = response.status_code < 500, f"HTTP {response.status_code}"
            except Exception as e:  # noqa: BLE001 - health reports, never raises
                ok, detail = False, classify_transport(e).message
        return {
            "provider": provider,
            "reachable": ok,
            "detail": detail,
            "breaker": state.state,
            "requests": state.requests,
            "failures": state.failures,
        }

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one candidate ----------------------------------------------------------------------

    def _try(
        self,
        spec: ModelSpec,
        messages: list[ChatMessage],
        tables: list[TablePayload],
        params: Params,
        schema: type[BaseModel] | None,
        context: CallContext,
        trace: _Trace,
        ceiling: Decimal | None,
    ) -> InferResult | None:
        masked, decision_audit = self._approve(spec, messages, tables, context)
        prompt_tokens = token_estimate(masked)
        fitted = fit_to_context(params, spec, prompt_tokens)
        if fitted is None:
            raise _Skip(
                "context",
                DeterministicFailure(
                    f"the prompt (about {prompt_tokens} tokens) does not fit {spec.id} "
                    f"({spec.context_tokens})",
                    field="messages",
                ),
            )
        usd_estimate = spec.cost(prompt_tokens, fitted.max_tokens)
        if ceiling is not None and usd_estimate > ceiling:
            raise _Skip(
                "price",
                PolicyBlock(
                    f"{spec.id} would cost up to ${usd_estimate}, above the ceiling ${ceiling}",
                    field="max_usd_per_request",
                ),
            )
        self._check_budget(context, spec, prompt_tokens + fitted.max_tokens, usd_estimate, trace)
        json_schema = schema.model_json_schema() if schema is not None else None
        trace.params_hash = content_hash(
            {"model": spec.id, "params": fitted.model_dump(mode="json"), "schema": json_schema}
        )
        key = self._key(spec, masked, fitted, context, json_schema)
        if not context.fresh:
            hit = self.cache.get(key)
            if hit is not None:
                return InferResult.model_validate_json(hit).model_copy(update={"cached": True})
        if not self.breakers.allow(spec.provider):
            raise _Skip(
                "breaker",
                to_error(
                    Failure("PROVIDER_UNHEALTHY", "circuit breaker open"),
                    provider=spec.provider,
                    model=spec.id,
                ),
            )
        return self._call(
            spec,
            masked,
            fitted,
            json_schema,
            schema,
            context,
            trace,
            key,
            (prompt_tokens, usd_estimate, decision_audit),
        )

    def _approve(
        self,
        spec: ModelSpec,
        messages: list[ChatMessage],
        tables: list[TablePayload],
        context: CallContext,
    ) -> tuple[list[ChatMessage], dict[str, Any]]:
        """The messages as they may leave (masked, tables rendered in), and the audit fields."""
        request = PolicyRequest(
            run_id=context.run_id,
            stage=context.stage,
            mode=context.mode,
            actor=RbacActor(user_id=context.actor_user_id, role=context.actor_role),
            pii_policy=PiiPolicy(
                mask_before_send=context.mask_before_send,
                local_only_override=context.local_only_override,
            ),
            provider=spec.provider,
            model=spec.model,
            endpoint=self.base_urls.get(spec.provider, "") or "unset:",
            provider_allowlist=list(context.provider_allowlist),
            provider_denylist=list(context.provider_denylist),
            catalog_version=context.catalog_version,
            messages=[Message(role=m.role, content=m.content) for m in messages],
            tables=tables,
        )
        try:
            prepared = prepare(self.manifest, request, key=self.pii_key)
            decision = evaluate(self.manifest, prepared)
        except PolicyBlock as e:
            raise _Skip("policy", e) from None
        masked = [ChatMessage(role=m.role, content=m.content) for m in prepared.messages]
        if prepared.tables:
            rendered = "\n\n".join(_csv(t) for t in prepared.tables)
            last = masked[-1] if masked else ChatMessage(role="user", content="")
            masked[-1:] = [last.model_copy(update={"content": f"{last.content}\n\n{rendered}"})]
        return masked, decision.audit.model_dump()

    def _check_budget(
        self, context: CallContext, spec: ModelSpec, tokens: int, usd: Decimal, trace: _Trace
    ) -> None:
        over = []
        if context.budget_tokens is not None and tokens > context.budget_tokens:
            over.append(f"about {tokens} tokens, {context.budget_tokens} left")
        if context.budget_usd is not None and usd > context.budget_usd:
            over.append(f"up to ${usd}, ${context.budget_usd} left")
        if not over:
            return
        error = BudgetExceeded(
            f"{context.stage} budget: {spec.id} would take {'; '.join(over)}; no request made",
            field=f"budget_caps.{context.stage}",
        )
        trace.attempts.append(_Attempt(spec.id, "budget"))
        self._record(context, spec, trace, error=error, estimate=(tokens, usd))
        raise error

    def _key(
        self,
        spec: ModelSpec,
        masked: list[ChatMessage],
        params: Params,
        context: CallContext,
        json_schema: dict[str, Any] | None,
    ) -> str:
        return cache_key(
            {
                "provider": spec.provider,
                "model": spec.model,
                "params": params.model_dump(mode="json"),
                "prompt": content_hash([m.model_dump() for m in masked]),
                "lane": context.lane,
                "mode": context.mode,
                "pii": [context.mask_before_send, context.local_only_override],
                "scope": context.scope,
                "artifacts": sorted(context.artifact_hashes),
                "catalog": context.catalog_version,
                "policy": self.manifest.version,
                "locale": context.locale,
                "schema": json_schema,
            }
        )

    def _call(
        self,
        spec: ModelSpec,
        masked: list[ChatMessage],
        params: Params,
        json_schema: dict[str, Any] | None,
        schema: type[BaseModel] | None,
        context: CallContext,
        trace: _Trace,
        key: str,
        estimate: tuple[int, Decimal, dict[str, Any]],
    ) -> InferResult:
        wire = wire_for(spec.provider)
        path, body = wire.chat(spec, masked, params, json_schema)
        started = time.perf_counter()
        deadline = started + self.deadlines[context.lane]
        for attempt in range(_RETRIES + 1):
            usage: Usage | None = None  # set once a reply follows the protocol
            with call_span(spec, context, attempt) as current:
                answer = self._post(spec, path, body, context, deadline)
                if not isinstance(answer, Failure):
                    try:
                        text, usage = wire.parse_chat(answer)
                    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                        answer = Failure(
                            "TRANSIENT_ERROR", "the reply does not follow the protocol"
                        )
                end_call_span(current, spec, answer, usage)
            if usage is not None:
                self.breakers.record(spec.provider, True)
                return self._success(
                    spec, text, usage, schema, context, trace, key, estimate, started
                )
            self.breakers.record(spec.provider, answer.code == "DETERMINISTIC_FAILURE")
            error = to_error(answer, provider=spec.provider, model=spec.id)
            if answer.context_too_long:
                raise _Skip("context", error)
            if answer.code not in _RETRYABLE or attempt == _RETRIES:
                if answer.code == "DETERMINISTIC_FAILURE":
                    trace.attempts.append(_Attempt(spec.id, answer.code))
                    self._record(context, spec, trace, error=error)
                    raise error
                raise _Skip(answer.code, error)
            wait = answer.retry_after_s
            if wait is None:
                wait = min(8.0, 0.25 * 2**attempt) * (0.5 + random.random() / 2)
            if time.perf_counter() + wait >= deadline:
                raise _Skip(answer.code, error)
            trace.retries += 1
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _success(
        self,
        spec: ModelSpec,
        text: str,
        usage: Usage,
        schema: type[BaseModel] | None,
        context: CallContext,
        trace: _Trace,
        key: str,
        estimate: tuple[int, Decimal, dict[str, Any]],
        started: float,
    ) -> InferResult:
        parsed = None
        if schema is not None:
            parsed = _parse_structured(text, schema, spec)
        trace.attempts.append(_Attempt(spec.id, "ok"))
        audit = estimate[2]
        result = InferResult(
            text=text,
            parsed=parsed,
            usage=usage,
            usd=spec.cost(usage.input_tokens, usage.output_tokens),
            provider=spec.provider,
            model=spec.id,
            latency_ms=(time.perf_counter() - started) * 1000,
            retries=trace.retries,
            fallback_chain=trace.chain(),
            pii_mask_applied=bool(audit.get("pii_mask_applied")),
            prompt_hash=str(audit.get("prompt_hash", "")),
        )
        ttl = TTL_S[context.lane] if text.strip() else min(TTL_S[context.lane], NEGATIVE_TTL_S)
        self.cache.set(key, result.model_dump_json().encode(), ttl)
        self._record(context, spec, trace, result=result, estimate=estimate[:2], audit=audit)
        return result

    # -- transport --------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import httpx

                    self._client = httpx.Client(
                        http2=False, limits=httpx.Limits(max_keepalive_connections=20)
                    )
        return self._client

    def _post(
        self,
        spec: ModelSpec,
        path: str,
        body: dict[str, Any],
        context: CallContext,
        deadline: float | None = None,
    ) -> Any | Failure:
        """POST to the provider; the parsed JSON on 2xx, else the classified failure."""
        base = self.base_urls.get(spec.provider)
        if not base:
            return Failure("DETERMINISTIC_FAILURE", f"no base URL for {spec.provider}")
        left = (
            deadline or time.perf_counter() + self.deadlines[context.lane]
        ) - time.perf_counter()
        headers = wire_for(spec.provider).headers(self.api_keys.get(spec.provider, ""))
        try:
            response = self._http().post(
                base + path, json=body, headers=headers, timeout=max(0.05, left)
            )
        except Exception as e:  # noqa: BLE001 - every transport failure is classified here
            return classify_transport(e)
        if response.status_code >= 300:
            return classify_response(
                response.status_code, response.text, response.headers.get("retry-after")
            )
        try:
            return response.json()
        except ValueError:
            return Failure("TRANSIENT_ERROR", "the reply is not JSON", status=response.status_code)

    # -- ledger -----------------------------------------------------------------------------

    def _record(
        self,
        context: CallContext,
        spec: ModelSpec | None,
        trace: _Trace,
        *,
        result: InferResult | None = None,
        error: ConduitError | None = None,
        estimate: tuple[int, Decimal] | None = None,
        audit: Mapping[str, Any] | None = None,
    ) -> None:
        if self._ledger is None or context.run_id is None:
            return
        audit = audit or {}
        self._ledger(
            LedgerEvent(
                run_id=context.run_id,
                stage=context.stage.upper(),
                decision="accept" if error is None else "hold",
                provider=None if spec is None else spec.provider,
                model=None if spec is None else spec.id,
                params_hash=trace.params_hash,
                token_estimate=None if estimate is None else estimate[0],
                usd_estimate=None if estimate is None else estimate[1],
                token_actual=None
                if result is None
                else result.usage.input_tokens + result.usage.output_tokens,
                usd_actual=None if result is None else result.usd,
                retries=trace.retries,
                fallback_chain=trace.chain(),
                pii_mask_applied=bool(audit.get("pii_mask_applied")),
                local_only_override=bool(audit.get("local_only_override")),
                policy_version=self.manifest.version,
                error_code=None if error is None else error.code,
            )
        )


class _Skip(Exception):
    """This candidate cannot serve the call; try the next one."""

    def __init__(self, outcome: str, error: ConduitError | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.error = error


def _csv(table: TablePayload) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(table.columns)
    writer.writerow(names)
    rows = len(next(iter(table.columns.values()), []))
    for i in range(rows):
        writer.writerow(["" if table.columns[n][i] is None else table.columns[n][i] for n in names])
    return f"table {table.name}:\n{out.getvalue()}"


def _parse_structured(text: str, schema: type[BaseModel], spec: ModelSpec) -> dict[str, Any]:
    from pydantic import ValidationError

    raw = text.strip()
    if raw.startswith("```"):
        raw = raw.strip("`").removeprefix("json").strip()
    try:
        return schema.model_validate(json.loads(raw)).model_dump(mode="json")
    except (ValueError, ValidationError) as e:
        raise DeterministicFailure(
            f"{spec.id} did not reply with the requested structure: {str(e)[:200]}",
            field="schema",
        ) from None
