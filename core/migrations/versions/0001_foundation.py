"""Foundation: runs, artifacts and their per-run references, the append-only supervisor
ledger, decision summaries, threshold profiles and policy manifests; the pgvector extension.

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

_STAGES = "'INGEST','DOMAINS','MAPPING','ANALYSIS','MIGRATION','SUPERVISOR'"
_DECISIONS = "'accept','hold','fix','reject','retry','escalate'"
_CODES = (
    "'POLICY_BLOCK','DSL_REJECT','PROVIDER_UNHEALTHY','RATE_LIMIT','TIMEOUT',"
    "'QUOTA_EXHAUSTED','TRANSIENT_ERROR','DETERMINISTIC_FAILURE','QUARANTINE_REQUIRED'"
)
_HASH = "char(64) CHECK ({col} ~ '^[0-9a-f]{{64}}$')"


def _hash(col: str, *, null: bool = True) -> str:
    return f"{col} {_HASH.format(col=col)}" + ("" if null else " NOT NULL")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")

    # Append-only enforcement, shared by the ledger and the artifact store. Row triggers do not
    # fire on TRUNCATE, so a statement trigger guards it separately.
    op.execute(
        """
        CREATE FUNCTION conduit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$
        """
    )

    op.execute(
        f"""
        CREATE TABLE threshold_profiles (
            profile_id   text PRIMARY KEY,
            version      text NOT NULL,
            {_hash("content_hash", null=False)},
            body         jsonb NOT NULL,
            created_at   timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE policy_manifests (
            policy_version text PRIMARY KEY,
            {_hash("content_hash", null=False)},
            body           jsonb NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now()
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE runs (
            run_id               text PRIMARY KEY,
            idempotency_key      text UNIQUE,
            contract_version     integer NOT NULL CHECK (contract_version >= 1),
            {_hash("contract_hash", null=False)},
            contract             jsonb NOT NULL,
            mode                 text NOT NULL CHECK (mode IN ('metadata_only','data_mode')),
            policy_version       text NOT NULL REFERENCES policy_manifests(policy_version),
            dsl_version          text NOT NULL,
            catalog_version      text NOT NULL,
            threshold_profile_id text NOT NULL REFERENCES threshold_profiles(profile_id),
            status               text NOT NULL DEFAULT 'created',
            lane                 text,
            actor_user_id        text NOT NULL,
            actor_role           text NOT NULL,
            created_at           timestamptz NOT NULL DEFAULT now(),
            updated_at           timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # §27: these are pinned for the life of a run; the application refuses a change with a
    # ContractError, and the database refuses it again for anyone who goes around the application.
    op.execute(
        """
        CREATE FUNCTION conduit_runs_pins_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.mode IS DISTINCT FROM OLD.mode
               OR NEW.policy_version IS DISTINCT FROM OLD.policy_version
               OR NEW.dsl_version IS DISTINCT FROM OLD.dsl_version
               OR NEW.catalog_version IS DISTINCT FROM OLD.catalog_version
               OR NEW.threshold_profile_id IS DISTINCT FROM OLD.threshold_profile_id
               OR NEW.run_id IS DISTINCT FROM OLD.run_id THEN
                RAISE EXCEPTION 'runs: mode, policy_version, dsl_version, catalog_version and '
                                'threshold_profile_id are immutable within a run'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER runs_pins_immutable BEFORE UPDATE ON runs "
        "FOR EACH ROW EXECUTE FUNCTION conduit_runs_pins_immutable()"
    )

    # Content-addressed bodies, and the references runs hold to them: one body may be referenced
    # by several runs (each with its own version), and is stored once.
    op.execute(
        f"""
        CREATE TABLE artifacts (
            {_hash("hash", null=False)} PRIMARY KEY,
            size_bytes     integer NOT NULL,
            content        bytea NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE artifact_refs (
            run_id         text NOT NULL DEFAULT '',
            kind           text NOT NULL,
            version        integer NOT NULL CHECK (version >= 1),
            schema_version text NOT NULL,
            hash           char(64) NOT NULL REFERENCES artifacts(hash),
            created_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (run_id, kind, version),
            UNIQUE (run_id, kind, hash)
        )
        """
    )
    op.execute("CREATE INDEX artifact_refs_hash ON artifact_refs (hash)")

    op.execute(
        f"""
        CREATE TABLE supervisor_ledger (
            run_id               text NOT NULL,
            seq                  integer NOT NULL CHECK (seq >= 1),
            event_id             text NOT NULL UNIQUE,
            timestamp_utc        timestamptz NOT NULL,
            stage                text NOT NULL CHECK (stage IN ({_STAGES})),
            decision             text NOT NULL CHECK (decision IN ({_DECISIONS})),
            {_hash("inputs_hash")},
            {_hash("outputs_hash")},
            provider             text,
            model                text,
            {_hash("params_hash")},
            token_estimate       bigint,
            token_actual         bigint,
            usd_estimate         numeric(20, 6),
            usd_actual           numeric(20, 6),
            retries              integer NOT NULL DEFAULT 0,
            fallback_chain       jsonb NOT NULL DEFAULT '[]',
            pii_mask_applied     boolean NOT NULL,
            local_only_override  boolean NOT NULL,
            policy_version       text,
            threshold_profile_id text,
            dsl_version          text,
            error_code           text CHECK (error_code IS NULL OR error_code IN ({_CODES})),
            error_detail_id      text,
            human_confirmation   jsonb NOT NULL,
            {_hash("prev_hash", null=False)},
            {_hash("event_hash", null=False)},
            PRIMARY KEY (run_id, seq)
        )
        """
    )
    for table in ("supervisor_ledger", "artifacts", "artifact_refs"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION conduit_reject_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION conduit_reject_change()"
        )

    op.execute(
        f"""
        CREATE TABLE decision_summaries (
            run_id         text PRIMARY KEY,
            event_count    integer NOT NULL,
            {_hash("head_hash", null=False)},
            last_event_at  timestamptz NOT NULL,
            summary        jsonb NOT NULL
        )
        """
    )


def downgrade() -> None:
    for table in (
        "decision_summaries",
        "supervisor_ledger",
        "artifact_refs",
        "artifacts",
        "runs",
        "policy_manifests",
        "threshold_profiles",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP FUNCTION IF EXISTS conduit_runs_pins_immutable()")
    op.execute("DROP FUNCTION IF EXISTS conduit_reject_change()")
