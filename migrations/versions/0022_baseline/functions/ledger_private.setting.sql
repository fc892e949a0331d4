CREATE OR REPLACE FUNCTION ledger_private.setting(p_name text)
RETURNS text
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    -- PL/pgSQL keeps this query's plan for the session; as an SQL function
    -- (not inlinable: it reads a table) it was planned again on every call,
    -- about 30 µs of every capture, which reads the default currency.
    RETURN (SELECT s.value FROM ledger.settings AS s WHERE s.name = p_name);
END
$$;
COMMENT ON FUNCTION ledger_private.setting(text) IS 'Value of a ledger.settings row, NULL when absent.';
