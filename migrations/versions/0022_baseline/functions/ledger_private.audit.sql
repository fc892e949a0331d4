CREATE OR REPLACE FUNCTION ledger_private.audit(
    p_action text, p_target text, p_ticket text, p_reason text, p_before jsonb, p_after jsonb)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_row ledger.audit_log;
BEGIN
    PERFORM ledger_private.require_ticket(p_action, p_target, p_ticket, p_reason);
    INSERT INTO ledger.audit_log (action, target, ticket, reason, before_state, after_state)
    VALUES (p_action, p_target, btrim(p_ticket), btrim(p_reason), p_before, p_after)
    RETURNING * INTO v_row;
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION ledger_private.audit(text, text, text, text, jsonb, jsonb) IS 'Writes the audit row of an on-call action (performed_by = session user) and returns it; LG301 without a ticket and a reason.';
