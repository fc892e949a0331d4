CREATE OR REPLACE FUNCTION ledger_private.parse_amount(p_text text, p_what text)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_text IS NULL OR p_text !~ '^[+-]?[0-9]{1,18}(\.[0-9]{1,18})?$' THEN
        RAISE EXCEPTION '% is not a decimal amount: %', p_what, coalesce(quote_literal(left(p_text, 40)), 'NULL')
            USING ERRCODE = 'LG002',
                  DETAIL = format('%s must match [+-]digits[.digits]; got %s.', p_what, coalesce(quote_literal(left(p_text, 40)), 'NULL')),
                  HINT = 'Send amounts as decimal strings such as "-12.50"; exponents, NaN and Infinity are refused.';
    END IF;
    RETURN p_text::numeric;
END
$$;
COMMENT ON FUNCTION ledger_private.parse_amount(text, text) IS 'Parses a decimal amount string (no exponent, NaN or Infinity) or raises LG002 naming p_what.';
