CREATE OR REPLACE FUNCTION ledger_private.setting(p_name text)
RETURNS text
LANGUAGE sql
STABLE
AS $$
    SELECT s.value FROM ledger.settings AS s WHERE s.name = p_name
$$;
COMMENT ON FUNCTION ledger_private.setting(text) IS 'Value of a ledger.settings row, NULL when absent.';
