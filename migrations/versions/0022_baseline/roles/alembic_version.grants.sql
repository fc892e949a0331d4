-- The version table belongs to the migrating side, not to whoever ran the
-- first migration: a later migrator that is only a member of
-- ledger_migrator records its revisions in it, and on-call and auditors
-- read it (ledgerguard doctor says which revision is deployed). Alembic
-- creates it as the first migrating role; only its owner (or a member of
-- the owner) can grant on it, so anyone else gets a WARNING with the
-- statements to run.
DO $version$
DECLARE
    v_owner oid := (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = pg_catalog.to_regclass('public.alembic_version'));
BEGIN
    IF v_owner IS NULL THEN
        RETURN;  -- not deployed by Alembic
    ELSIF pg_catalog.pg_has_role(current_user, v_owner, 'USAGE') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON public.alembic_version TO ledger_migrator;
        GRANT SELECT ON public.alembic_version TO ledger_oncall, ledger_auditor;
    ELSE
        RAISE WARNING 'ledgerguard: % cannot grant on public.alembic_version, which it does not own', current_user
            USING HINT = 'As its owner: GRANT SELECT, INSERT, UPDATE, DELETE ON public.alembic_version TO ledger_migrator; GRANT SELECT ON public.alembic_version TO ledger_oncall, ledger_auditor;';
    END IF;
END
$version$;
