#!/usr/bin/env bash
# `make demo`: a real run on the bundled example with the embedded defaults (no server, no model).
# Creates the run from examples/bank_transactions/contract.yaml, prints the run, its ledger (hash
# chain verified) and its artifacts, shows the Policy Engine refusing an unmasked sample, then
# drives the run through the supervisor graph with --follow (lane, Ingest, Domains, Mapping,
# Analysis, Migration; each held gate answered by a demo actor, an Operator: the migration gate's
# accept promotes, and promotion into a table that already holds rows needs one), prints the
# Domain Assignments, Mapping Plan, Analysis Report and the Migration Run (chunks, validations,
# promotion, where the rows went), and ends with the verified ledger.
set -euo pipefail
cd "$(dirname "$0")/.."
conduit() { .venv/bin/conduit "$@"; }
contract=examples/bank_transactions/contract.yaml

echo "== conduit init"
conduit init
echo
echo "== conduit runs create --contract $contract --idempotency-key demo-bank-v1"
conduit runs create --contract "$contract" --idempotency-key demo-bank-v1
run_id=$(conduit runs create --contract "$contract" --idempotency-key demo-bank-v1 --json \
  | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["run_id"])')
echo "(a retry with the same key returns the same run: $run_id)"
echo
echo "== conduit runs show $run_id"
conduit runs show "$run_id"
echo
echo "== conduit ledger $run_id --verify"
conduit ledger "$run_id" --verify
echo
contract_hash=$(conduit runs show "$run_id" --json \
  | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["contract_hash"])')
echo "== conduit artifacts show ${contract_hash:0:16}"
conduit artifacts show "${contract_hash:0:16}" | head -20
echo "..."
echo
request=examples/bank_transactions/policy_request.yaml
echo "== conduit policy check $request --table examples/bank_transactions/transactions.csv"
status=0
conduit policy check "$request" --table examples/bank_transactions/transactions.csv || status=$?
echo "(exit $status: POLICY_BLOCK, as it should be; the adapters mask first, see docs/policy.md)"
echo
echo "== conduit runs start $run_id --follow (the supervisor graph: lane and budgets, Ingest, Domains, Mapping, Analysis, Migration, their gates)"
echo "(the contract asks a person to confirm each gate: --follow would wait there, so this demo"
echo " follows in the background and answers each hold as a demo actor)"
conduit runs start "$run_id" --base examples/bank_transactions --follow &
follower=$!
run_status() {
  conduit runs show "$run_id" --json \
    | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
answered=0
for _ in $(seq 1 1200); do
  status=$(run_status)
  case "$status" in completed|failed|stopped:*) break ;; esac
  if [ "$status" = held ]; then
    sleep 1  # let the follower print the hold
    echo
    echo "== conduit runs resume $run_id --decision accept --actor demo.confirmer --role operator"
    echo "(auto-confirmed by the demo actor 'demo.confirmer', recorded as such on the ledger)"
    conduit runs resume "$run_id" --decision accept --actor demo.confirmer --role operator \
      --base examples/bank_transactions >/dev/null
    answered=$((answered + 1))
    [ "$answered" -ge 10 ] && break
    continue
  fi
  sleep 0.2
done
wait "$follower"
status=$(run_status)
if [ "$status" != completed ]; then
  echo "the run ended $status, not completed" >&2
  exit 1
fi
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
echo "== conduit migrations status $run_id (the run's MIGRATION stage: chunks, validations, promotion)"
conduit migrations status "$run_id"
migration=$(conduit migrations status "$run_id" --json \
  | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["status"])')
case "$migration" in
  promoted | noop) ;;  # noop: a demo run again, on the same rows, changes nothing
  *) echo "the run's migration ended $migration, not promoted" >&2; exit 1 ;;
esac
rows=$(.venv/bin/python -c 'import sqlite3; c = sqlite3.connect(".conduit/demo/bank.sqlite")
print(c.execute("SELECT count(*) FROM bank_transaction").fetchone()[0]); c.close()')
how="promoted by the run's MIGRATION stage"
[ "$migration" = noop ] && how="already there from an earlier demo: every chunk a no-op"
echo "(the target: examples/bank_transactions/contract.yaml rhs.location, .conduit/demo/bank.sqlite:"
echo " $rows rows in bank_transaction, $how)"
echo
echo "== conduit ledger $run_id --verify"
conduit ledger "$run_id" --verify
