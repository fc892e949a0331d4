CREATE OR REPLACE FUNCTION ledger_ops.set_kill_switch(
    p_scope text, p_enabled boolean, p_reason text, p_ticket text, p_retry_after timestamptz DEFAULT NULL)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_before ledger.processing_switches;
    v_after  ledger.processing_switches;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.set_kill_switch', jsonb_build_object(
        'p_scope', p_scope IS NULL, 'p_enabled', p_enabled IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    SELECT * INTO v_before FROM ledger.processing_switches AS s WHERE s.scope = p_scope FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'kill switch scope % is not known', quote_literal(left(p_scope, 40))
            USING ERRCODE = 'LG015',
                  DETAIL = format('ledger_ops.set_kill_switch was called for scope %s.', quote_literal(left(p_scope, 40))),
                  HINT = 'Scopes: payments, refunds, payouts.';
    END IF;
    IF NOT p_enabled AND p_retry_after IS NOT NULL AND p_retry_after <= now() THEN
        RAISE EXCEPTION 'retry-after % is in the past', p_retry_after
            USING ERRCODE = 'LG015',
                  DETAIL = format('Disabling %s with retry-after %s, before now (%s).', p_scope, p_retry_after, now()),
                  HINT = 'Give the time callers should come back, or NULL when unknown.';
    END IF;
    UPDATE ledger.processing_switches AS s
       SET enabled = p_enabled,
           retry_after = CASE WHEN p_enabled THEN NULL ELSE p_retry_after END,
           reason = p_reason, ticket = p_ticket, changed_by = session_user, changed_at = now()
     WHERE s.scope = p_scope
    RETURNING * INTO v_after;
    RETURN ledger_private.audit('set_kill_switch', p_scope, p_ticket, p_reason, to_jsonb(v_before), to_jsonb(v_after));
END
$$;
COMMENT ON FUNCTION ledger_ops.set_kill_switch(text, boolean, text, text, timestamptz) IS 'Turns payments, refunds or payouts processing off (p_enabled = false) or back on; while off the scope''s API refuses with LG108 and retry-after. Ticket and reason required (LG301); audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.set_kill_switch(text, boolean, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.set_kill_switch(text, boolean, text, text, timestamptz) TO ledger_oncall;
