CREATE OR REPLACE FUNCTION ledger_check.run_all(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN SELECT c.name FROM ledger_check.catalog AS c ORDER BY c.name LOOP
        RETURN QUERY EXECUTE format('SELECT * FROM ledger_check.%I($1)', v_name) USING p_since;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledger_check.run_all(interval) IS 'Runs every check of ledger_check.catalog over the window (default 24 hours; NULL = all history). No row = healthy. Read-only: runs in a READ ONLY transaction and on a hot standby.';
REVOKE ALL ON FUNCTION ledger_check.run_all(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.run_all(interval) TO ledger_oncall, ledger_auditor;
