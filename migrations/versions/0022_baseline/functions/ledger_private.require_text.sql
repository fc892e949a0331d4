CREATE OR REPLACE FUNCTION ledger_private.require_text(p_function text, p_argument text, p_value text, p_max integer)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    -- Free text the API stores (reasons) is bounded, never cut silently, and
    -- an error quotes only a short prefix of what it refuses.
    IF length(p_value) NOT BETWEEN 1 AND p_max THEN
        RAISE EXCEPTION '%: % is not 1-% characters', p_function, p_argument, p_max
            USING ERRCODE = 'LG015',
                  DETAIL = format('It has %s characters: %s…', length(p_value), quote_literal(left(p_value, 40))),
                  HINT = format('Pass %s of 1-%s characters.', p_argument, p_max);
    END IF;
    RETURN p_value;
END
$$;
COMMENT ON FUNCTION ledger_private.require_text(text, text, text, integer) IS 'Returns p_value when it has 1-p_max characters, else LG015 naming the object and argument and quoting 40 characters of it. For reasons, provider refs and gateway transaction ids.';
