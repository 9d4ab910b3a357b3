#!/usr/bin/env bash
# `make demo`: a real run on the bundled example with the embedded defaults (embedded PostgreSQL,
# lanes on threads, no model). Stores the reference data, shows the Policy Engine refusing an
# unmasked sample, starts the HTTP API (`conduit serve`), makes an Analyst and an Operator key,
# and over HTTP creates the run from examples/bank_transactions/contract.yaml and answers each
# gate it holds at as the demo actor demo.confirmer (shown as such, and recorded so on the
# ledger): Ingest, Domains, Mapping, Analysis, Migration, whose accept promotes the rows into
# .conduit/demo/bank.sqlite. Then the CLI, on the same store, prints the Domain Assignments, the
# Mapping Plan, the Analysis Report, the Migration Run and the verified ledger, and the demo ends
# with a short summary: stages and decisions, rows migrated and quarantined, artifact hashes and
# where the target is. Exits non-zero if the run does not complete or promote.
set -euo pipefail
cd "$(dirname "$0")/.."
conduit() { .venv/bin/conduit "$@"; }
contract=examples/bank_transactions/contract.yaml

echo "== conduit init"
conduit init
echo
request=examples/bank_transactions/policy_request.yaml
echo "== conduit policy check $request --table examples/bank_transactions/transactions.csv"
status=0
conduit policy check "$request" --table examples/bank_transactions/transactions.csv || status=$?
echo "(exit $status: POLICY_BLOCK, as it should be; the adapters mask first, see docs/policy.md)"
echo
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "== conduit serve --port $port (the HTTP API; data root: this folder)"
mkdir -p .conduit/demo
CONDUIT_DATA_ROOT="$PWD" conduit serve --port "$port" >.conduit/demo/serve.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
.venv/bin/python examples/demo_api.py ready "http://127.0.0.1:$port"
echo
echo "== conduit keys create --tenant demo --role analyst|operator (hashed in the store, shown once)"
token() {
  conduit keys create --tenant demo --role "$1" --actor "$2" --label "make demo" --json \
    | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
analyst=$(token analyst ana.analyst)
operator=$(token operator demo.confirmer)
echo "an Analyst key for ana.analyst, an Operator key for the demo actor demo.confirmer"
echo
echo "== over HTTP: create the run, answer each held gate as the demo actor, migrate, promote"
.venv/bin/python examples/demo_api.py drive "http://127.0.0.1:$port" "$analyst" "$operator"
run_id=$(cat .conduit/demo/last_run)
echo
echo "== the Domain Assignments of $run_id (source columns)"
.venv/bin/python - "$run_id" <<'PY'
import json, subprocess, sys


def conduit(*args: str) -> object:
    out = subprocess.run([".venv/bin/conduit", *args, "--json"], capture_output=True, text=True)
    return json.loads(out.stdout)


refs = [a for a in conduit("artifacts", "list", sys.argv[1]) if a["kind"] == "domain_assignments"]
body = conduit("artifacts", "show", refs[-1]["hash"])
body = body.get("body", body)
for r in body["source"]:
    domain = r["domain_id"] or "unknown"
    print(f"  {r['column']:<14} {domain:<26} {r['band']:<10} confidence {r['confidence']:.2f}")


def latest(kind: str) -> dict:
    refs = [a for a in conduit("artifacts", "list", sys.argv[1]) if a["kind"] == kind]
    found = conduit("artifacts", "show", refs[-1]["hash"])
    return found.get("body", found)


plan = latest("mapping_plan")
print()
print("== the Mapping Plan (target column <- sources: strategy, decision, sample success)")
for c in plan["columns"]:
    sources = " + ".join(c["sources"]) or "(no source)"
    sample = c.get("sample") or {}
    rate = sample.get("success_rate")
    rate = f"{rate:.0%}" if rate is not None else ("masked" if sample.get("masked") else "-")
    print(f"  {c['target']:<12} <- {sources:<16} {c['strategy']:<14} {c['decision']:<8} {rate}")
amount = next(c for c in plan["columns"] if c["target"] == "amount_usd")
ops = [op["op"] for op in amount["pipeline"]["ops"]]
print(f"  amount_usd pipeline: {' -> '.join(ops)}; compiled previews for", ", ".join(amount["previews"]))
report = latest("analysis_report")
m = report["metrics"]
print()
print(f"== the Analysis Report: {m['checks']} checks, {m['fails']} failed, {m['warns']} warnings")
for a in report["anomalies"]:
    print(f"  {a['severity']:<4} {a['code']:<20} {a['message'][:90]}")
PY
echo
echo "== conduit migrations status $run_id (the CLI reads the same store)"
conduit migrations status "$run_id" | head -12
echo
echo "== conduit ledger $run_id --verify"
conduit ledger "$run_id" --verify
echo
.venv/bin/python examples/demo_api.py summary "http://127.0.0.1:$port" "$analyst"
