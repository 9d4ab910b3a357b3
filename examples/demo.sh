#!/usr/bin/env bash
# `make demo`: a real run on the bundled example with the embedded defaults (no server, no model).
# Creates the run from examples/bank_transactions/contract.yaml, prints the run, its ledger (hash
# chain verified) and its artifacts, shows the Policy Engine refusing an unmasked sample, then
# drives the run through the supervisor graph with --follow (lane, Ingest, the held gate answered
# by a demo actor), and ends with the Decision Summary and the verified ledger.
# Later stages extend this as they land.
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
echo "== conduit runs start $run_id --follow (the supervisor graph: lane and budgets, Ingest, its gate)"
echo "(the contract asks a person to confirm each gate: --follow would wait there, so this demo"
echo " follows up to the hold in the background and answers it as a demo actor)"
conduit runs start "$run_id" --base examples/bank_transactions --follow &
follower=$!
for _ in $(seq 1 600); do
  status=$(conduit runs show "$run_id" --json \
    | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["status"])')
  case "$status" in held|completed|failed|stopped:*) break ;; esac
  sleep 0.2
done
if [ "$status" = held ]; then
  sleep 1  # let the follower print the hold
  echo
  echo "== conduit runs resume $run_id --decision accept --actor demo.confirmer --role analyst"
  echo "(auto-confirmed by the demo actor 'demo.confirmer', recorded as such on the ledger)"
  conduit runs resume "$run_id" --decision accept --actor demo.confirmer --role analyst \
    --base examples/bank_transactions >/dev/null
fi
wait "$follower"
echo
echo "== conduit ledger $run_id --verify"
conduit ledger "$run_id" --verify
