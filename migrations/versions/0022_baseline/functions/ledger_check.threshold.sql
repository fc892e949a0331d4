CREATE OR REPLACE FUNCTION ledger_check.threshold(p_name text)
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT s.value FROM ledger.settings AS s WHERE s.name = p_name
$$;
COMMENT ON FUNCTION ledger_check.threshold(text) IS 'A check threshold from ledger.settings (check.*), as text for the caller to cast.';
REVOKE ALL ON FUNCTION ledger_check.threshold(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.threshold(text) TO ledger_oncall, ledger_auditor;
