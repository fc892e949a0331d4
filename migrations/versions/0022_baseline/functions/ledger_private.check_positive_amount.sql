CREATE OR REPLACE FUNCTION ledger_private.check_positive_amount(p_amount numeric, p_currency text, p_what text)
RETURNS numeric
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_minor smallint;
BEGIN
    SELECT c.minor_units INTO v_minor FROM ledger.currencies AS c WHERE c.code = p_currency;
    IF v_minor IS NULL THEN
        RAISE EXCEPTION 'currency % is not known', quote_literal(left(p_currency, 10))
            USING ERRCODE = 'LG004',
                  DETAIL = format('%s is in %s, which is not in ledger.currencies.', p_what, quote_literal(left(p_currency, 10))),
                  HINT = 'Use an ISO 4217 code in upper case, e.g. USD.';
    END IF;
    IF p_amount < 0 THEN
        RAISE EXCEPTION '% must be positive, got %', p_what, left(p_amount::text, 40)
            USING ERRCODE = 'LG002',
                  DETAIL = format('%s is %s %s; the direction is given by the operation, not the sign.', p_what, left(p_amount::text, 40), p_currency),
                  HINT = 'Pass the magnitude.';
    END IF;
    RETURN ledger_private.check_amount(p_amount, p_currency, v_minor, p_what);
END
$$;
COMMENT ON FUNCTION ledger_private.check_positive_amount(numeric, text, text) IS 'A magnitude in a currency: > 0, finite, at most the currency''s decimals; returns it at the currency''s scale or raises LG002 / LG003 / LG004.';
