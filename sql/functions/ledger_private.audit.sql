CREATE OR REPLACE FUNCTION ledger_private.audit(
    p_action text, p_target text, p_ticket text, p_reason text, p_before jsonb, p_after jsonb)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_row ledger.audit_log;
BEGIN
    IF coalesce(length(btrim(p_ticket)), 0) NOT BETWEEN 1 AND 100 OR coalesce(length(btrim(p_reason)), 0) NOT BETWEEN 1 AND 2000 THEN
        RAISE EXCEPTION 'ledger_ops.%: a ticket and a reason are required', p_action
            USING ERRCODE = 'LG301',
                  DETAIL = format('ledger_ops.%s on %s was called with ticket %s and reason %s.', p_action, p_target,
                                  coalesce(quote_literal(left(p_ticket, 100)), 'NULL'), coalesce(quote_literal(left(p_reason, 100)), 'NULL')),
                  HINT = 'Pass the incident ticket (1-100 characters) and why you act (1-2000 characters); both go to the audit log.';
    END IF;
    INSERT INTO ledger.audit_log (action, target, ticket, reason, before_state, after_state)
    VALUES (p_action, p_target, btrim(p_ticket), btrim(p_reason), p_before, p_after)
    RETURNING * INTO v_row;
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION ledger_private.audit(text, text, text, text, jsonb, jsonb) IS 'Writes the audit row of an on-call action (performed_by = session user) and returns it; LG301 without a ticket and a reason.';
