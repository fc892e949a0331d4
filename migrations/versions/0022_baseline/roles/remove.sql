-- Downgrade of the baseline: leaves the database as it was before ledgerguard (runs as the migrating role).
-- The ledger's schemas go with every row in them; the version table's and the database's grants go back to
-- what PostgreSQL creates; the five roles go unless another database of the cluster still uses them.

DO $version$
BEGIN
    IF pg_catalog.to_regclass('public.alembic_version') IS NOT NULL AND pg_catalog.pg_has_role(current_user,
           (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = 'public.alembic_version'::regclass), 'USAGE') THEN
        REVOKE ALL ON public.alembic_version FROM ledger_migrator, ledger_oncall, ledger_auditor;
    END IF;
END
$version$;

SET ROLE ledger_owner;
DROP SCHEMA IF EXISTS ledger_ops CASCADE;
DROP SCHEMA IF EXISTS ledger_check CASCADE;
DROP SCHEMA IF EXISTS ledger_private CASCADE;
DROP SCHEMA IF EXISTS ledger CASCADE;
ALTER DEFAULT PRIVILEGES FOR ROLE ledger_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE ledger_owner GRANT USAGE ON TYPES TO PUBLIC;
RESET ROLE;

DO $down$
DECLARE
    v_role text;
BEGIN
    -- The database opens to every login again, as PostgreSQL creates it.
    IF pg_catalog.pg_has_role(current_user, (SELECT d.datdba FROM pg_catalog.pg_database AS d
                                              WHERE d.datname = pg_catalog.current_database()), 'USAGE') THEN
        EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO PUBLIC', pg_catalog.current_database());
        EXECUTE pg_catalog.format('REVOKE CONNECT ON DATABASE %I FROM ledger_migrator, ledger_app, ledger_oncall, ledger_auditor',
                                  pg_catalog.current_database());
    END IF;
    EXECUTE pg_catalog.format('REVOKE CREATE ON DATABASE %I FROM ledger_owner', pg_catalog.current_database());
    -- Roles are cluster-wide and the five go together: they are dropped only
    -- when no other database of the cluster still depends on ledger_owner
    -- (pg_shdepend rows of another database, or of a shared object: dbid 0).
    IF EXISTS (SELECT FROM pg_catalog.pg_shdepend AS d
                WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass
                  AND d.refobjid = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'ledger_owner')
                  AND d.dbid <> (SELECT db.oid FROM pg_catalog.pg_database AS db
                                  WHERE db.datname = pg_catalog.current_database())) THEN
        RAISE NOTICE 'ledgerguard roles kept: another database of this cluster still uses ledger_owner';
        RETURN;
    END IF;
    FOREACH v_role IN ARRAY ARRAY['ledger_app', 'ledger_oncall', 'ledger_auditor', 'ledger_migrator', 'ledger_owner'] LOOP
        EXECUTE pg_catalog.format('DROP ROLE IF EXISTS %I', v_role);
    END LOOP;
END
$down$;
