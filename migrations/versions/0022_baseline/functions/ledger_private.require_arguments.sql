CREATE OR REPLACE FUNCTION ledger_private.require_arguments(p_function text, p_is_null jsonb)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF NOT p_is_null @@ '$.* == true' THEN  -- the usual case, without a query
        RETURN;
    END IF;
    SELECT array_agg(a.key ORDER BY a.key) INTO v_missing
      FROM jsonb_each(p_is_null) AS a
     WHERE a.value = 'true'::jsonb;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION '%: argument % must not be NULL', p_function, array_to_string(v_missing, ', ')
            USING ERRCODE = 'LG001',
                  DETAIL = format('%s was called with NULL for %s; no API function treats NULL as "use a default".',
                                  p_function, array_to_string(v_missing, ', ')),
                  HINT = 'Pass a value for every argument; omit an argument that has a default instead of passing NULL.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger_private.require_arguments(text, jsonb) IS 'Raises LG001 naming every argument flagged true in p_is_null ({"p_code": true, …}); API functions call it first, so a NULL never yields a silent NULL result.';
