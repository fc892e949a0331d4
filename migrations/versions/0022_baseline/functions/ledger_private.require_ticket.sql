CREATE OR REPLACE FUNCTION ledger_private.require_ticket(p_action text, p_target text, p_ticket text, p_reason text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF coalesce(length(btrim(p_ticket)), 0) NOT BETWEEN 1 AND 100 OR coalesce(length(btrim(p_reason)), 0) NOT BETWEEN 1 AND 2000 THEN
        RAISE EXCEPTION 'ledger_ops.%: a ticket and a reason are required', p_action
            USING ERRCODE = 'LG301',
                  DETAIL = format('ledger_ops.%s on %s was called with ticket %s and reason %s.', p_action, quote_literal(left(p_target, 100)),
                                  coalesce(quote_literal(left(p_ticket, 100)), 'NULL'), coalesce(quote_literal(left(p_reason, 100)), 'NULL')),
                  HINT = 'Pass the incident ticket (1-100 characters) and why you act (1-2000 characters); both go to the audit log.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger_private.require_ticket(text, text, text, text) IS 'LG301 unless a ticket (1-100 characters) and a reason (1-2000) are given; every ledger_ops procedure calls it before acting.';
