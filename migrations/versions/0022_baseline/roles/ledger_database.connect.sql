-- Only logins in a ledger role connect to the ledger's database: a login with
-- no ledger role can then take no advisory lock here, fill no lock table, and
-- read nothing. PostgreSQL grants CONNECT to PUBLIC by default; this takes it
-- back and grants it to the four roles logins are given. It needs the
-- database's owner (a managed service's master user owns its databases) or
-- a superuser; any other migrating role gets a WARNING and doctor reports
-- the open database. DBAs: grant a ledger role (or CONNECT) to any other
-- login that must reach this database, such as a monitoring user.
DO $connect$
DECLARE
    v_db text := pg_catalog.current_database();
BEGIN
    IF pg_catalog.pg_has_role(current_user, (SELECT d.datdba FROM pg_catalog.pg_database AS d WHERE d.datname = v_db), 'USAGE') THEN
        EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO ledger_migrator, ledger_app, ledger_oncall, ledger_auditor', v_db);
        EXECUTE pg_catalog.format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', v_db);
    ELSE
        RAISE WARNING 'ledgerguard: database % stays open to every login: % does not own it', v_db, current_user
            USING HINT = pg_catalog.format('As its owner: GRANT CONNECT ON DATABASE %1$I TO ledger_migrator, ledger_app, ledger_oncall, ledger_auditor; REVOKE CONNECT ON DATABASE %1$I FROM PUBLIC;', v_db);
    END IF;
END
$connect$;
