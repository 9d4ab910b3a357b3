"""Tenancy (§40): a tenant on every run-scoped row, row-level security as a second wall, API keys
and supervisor tickets.

Every table that holds a run's records gets ``tenant_id``. Rows written for a run take the run's
tenant from ``runs`` in a BEFORE INSERT trigger, so the code that writes ledger events, artifact
references, migration checkpoints or quarantine rows need not know tenants at all. A row with no
run (a bundled profile's artifact reference, say) takes the tenant of the transaction
(``conduit.tenant_id``), else ``default``.

Row-level security: the application's own role (the owner, usually a superuser) is not bound by
it; the HTTP API runs each request's transaction as the role ``conduit_tenant`` with
``conduit.tenant_id`` set (``core.db.TenantDatabase``), and under that role PostgreSQL shows and
accepts only the rows of that tenant. The first wall is the API's own check of each object's
tenant; this one holds if that check is ever forgotten.

``api_keys`` stores keys as SHA-256 of their secret part (the secret is 256 random bits, so a
slow hash adds nothing); each is bound to one tenant, actor and role (§32).

Revision ID: 0007_tenancy
Revises: 0006_migrations
"""

from __future__ import annotations

from alembic import op

revision = "0007_tenancy"
down_revision = "0006_migrations"
branch_labels = None
depends_on = None

ROLE = "conduit_tenant"
_TENANT = "coalesce(nullif(current_setting('conduit.tenant_id', true), ''), 'default')"
#: Tables with a ``run_id`` column: their rows take the run's tenant.
_RUN_TABLES = (
    "artifact_refs",
    "supervisor_ledger",
    "decision_summaries",
    "run_progress",
    "migration_runs",
    "quarantine_rows",
)
_WALLED = ("runs", *_RUN_TABLES, "migration_chunks", "api_keys", "supervisor_tickets")


def upgrade() -> None:
    # Roles are shared by every database of a server: create it once, tolerate a race.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    )
    op.execute(f"ALTER TABLE runs ADD COLUMN tenant_id text NOT NULL DEFAULT {_TENANT}")
    op.execute("CREATE INDEX runs_tenant ON runs (tenant_id, created_at)")
    for table in _RUN_TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN tenant_id text NOT NULL DEFAULT {_TENANT}")
    op.execute("ALTER TABLE migration_chunks ADD COLUMN tenant_id text NOT NULL DEFAULT 'default'")
    # Rows written before tenancy belong to the tenant of their run (all 'default' then).
    op.execute(
        """
        CREATE FUNCTION conduit_tenant_of_run() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.tenant_id := coalesce(
                (SELECT tenant_id FROM runs WHERE run_id = NEW.run_id), NEW.tenant_id);
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION conduit_tenant_of_migration() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.tenant_id := coalesce(
                (SELECT tenant_id FROM migration_runs WHERE migration_id = NEW.migration_id),
                NEW.tenant_id);
            RETURN NEW;
        END $$
        """
    )
    for table in _RUN_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_tenant BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION conduit_tenant_of_run()"
        )
    op.execute(
        "CREATE TRIGGER migration_chunks_tenant BEFORE INSERT ON migration_chunks "
        "FOR EACH ROW EXECUTE FUNCTION conduit_tenant_of_migration()"
    )

    op.execute(
        """
        CREATE TABLE api_keys (
            key_id       text PRIMARY KEY,
            tenant_id    text NOT NULL,
            actor        text NOT NULL,
            role         text NOT NULL
                         CHECK (role IN ('viewer','analyst','operator','maintainer','admin')),
            secret_hash  char(64) NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
            label        text NOT NULL DEFAULT '',
            created_at   timestamptz NOT NULL DEFAULT now(),
            revoked_at   timestamptz
        )
        """
    )
    op.execute(
        """
        CREATE TABLE supervisor_tickets (
            ticket_id    text PRIMARY KEY,
            tenant_id    text NOT NULL DEFAULT """
        + _TENANT
        + """,
            run_id       text NOT NULL REFERENCES runs(run_id),
            kind         text NOT NULL CHECK (kind IN ('question','escalation','fix_request')),
            subject      text NOT NULL,
            body         text NOT NULL DEFAULT '',
            stage        text,
            status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
            opened_by    text NOT NULL,
            opened_role  text NOT NULL,
            created_at   timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX supervisor_tickets_run ON supervisor_tickets (run_id, created_at)")
    op.execute(
        "CREATE TRIGGER supervisor_tickets_tenant BEFORE INSERT ON supervisor_tickets "
        "FOR EACH ROW EXECUTE FUNCTION conduit_tenant_of_run()"
    )

    wall = "tenant_id = current_setting('conduit.tenant_id', true)"
    for table in _WALLED:
        # Artifact references with no run (bundled profiles and manifests, eval reports) are
        # reference data every tenant may read.
        rule = f"{wall} OR run_id = ''" if table == "artifact_refs" else wall
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_tenant_wall ON {table} USING ({rule}) WITH CHECK ({rule})"
        )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {ROLE}")
    # Tables that later migrations (and LangGraph's checkpointer) create get the same grants.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}"
    )


def downgrade() -> None:
    for table in _WALLED:
        op.execute(f"DROP POLICY IF EXISTS {table}_tenant_wall ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP TABLE IF EXISTS supervisor_tickets")
    op.execute("DROP TABLE IF EXISTS api_keys")
    op.execute("DROP TRIGGER IF EXISTS migration_chunks_tenant ON migration_chunks")
    for table in _RUN_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_tenant ON {table}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN tenant_id")
    op.execute("ALTER TABLE migration_chunks DROP COLUMN tenant_id")
    op.execute("ALTER TABLE runs DROP COLUMN tenant_id")
    op.execute("DROP FUNCTION IF EXISTS conduit_tenant_of_migration()")
    op.execute("DROP FUNCTION IF EXISTS conduit_tenant_of_run()")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {ROLE}")
