-- The five group roles. Roles are cluster-wide: a second database migrated in
-- the same cluster reuses them, so each is created only when missing.
-- Runs as the migrating role (needs CREATEROLE); everything else in sql/ runs
-- as ledger_owner.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['ledger_owner', 'ledger_migrator', 'ledger_app', 'ledger_oncall', 'ledger_auditor'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
END
$roles$;

-- The owner owns every object and never logs in.
ALTER ROLE ledger_owner NOLOGIN;
COMMENT ON ROLE ledger_owner IS 'ledgerguard: owns every ledger object; cannot log in. Migrations run SET ROLE ledger_owner.';
COMMENT ON ROLE ledger_migrator IS 'ledgerguard: applies migrations (member of ledger_owner). Grant it to a DBA login role.';
COMMENT ON ROLE ledger_app IS 'ledgerguard: application code; EXECUTE on the ledger API, no direct table writes.';
COMMENT ON ROLE ledger_oncall IS 'ledgerguard: on-call engineers; runs checks and the audited ledger_ops procedures.';
COMMENT ON ROLE ledger_auditor IS 'ledgerguard: read-only; reads the ledger and runs checks.';

GRANT ledger_owner TO ledger_migrator;

DO $grant$
BEGIN
    EXECUTE pg_catalog.format('GRANT CREATE ON DATABASE %I TO ledger_owner', pg_catalog.current_database());
END
$grant$;
