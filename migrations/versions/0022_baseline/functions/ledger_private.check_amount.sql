CREATE OR REPLACE FUNCTION ledger_private.check_amount(p_amount numeric, p_currency text, p_minor_units smallint, p_what text)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    -- An error quotes at most 40 characters of the amount it refuses.
    v_shown text := CASE WHEN length(p_amount::text) > 40 THEN left(p_amount::text, 40) || '…' ELSE p_amount::text END;
BEGIN
    IF p_amount IS NULL OR p_amount IN ('NaN', 'Infinity', '-Infinity') OR p_amount = 0 THEN
        RAISE EXCEPTION '% must be a finite, non-zero amount, got %', p_what, coalesce(v_shown, 'NULL')
            USING ERRCODE = 'LG002',
                  DETAIL = format('%s in %s is %s.', p_what, p_currency, coalesce(v_shown, 'NULL')),
                  HINT = 'Amounts are decimal strings such as "12.50"; NaN, Infinity and zero move no money and are refused.';
    END IF;
    IF abs(p_amount) >= 1e15 THEN
        RAISE EXCEPTION '% is out of range: %', p_what, v_shown
            USING ERRCODE = 'LG002',
                  DETAIL = format('%s in %s has %s digits before the point; the ledger accepts magnitudes below 10^15.', p_what, p_currency,
                                  length(trunc(abs(p_amount))::text)),
                  HINT = 'Check the amount and its unit (major units, not cents).';
    END IF;
    IF p_amount <> round(p_amount, p_minor_units) THEN
        RAISE EXCEPTION '% has more decimals than % allows: %', p_what, p_currency, v_shown
            USING ERRCODE = 'LG003',
                  DETAIL = format('%s carries %s decimals; %s has %s minor units. The ledger never rounds.',
                                  p_what, scale(trim_scale(p_amount)), p_currency, p_minor_units),
                  HINT = format('Round the amount yourself to %s decimals before posting, and decide where the remainder goes.', p_minor_units);
    END IF;
    RETURN round(p_amount, p_minor_units);
END
$$;
COMMENT ON FUNCTION ledger_private.check_amount(numeric, text, smallint, text) IS 'Returns the amount at the currency''s scale, or raises LG002 (NULL, NaN, infinite, zero, |x| >= 10^15) or LG003 (more decimals than the currency has: never rounded).';
