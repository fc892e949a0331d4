CREATE OR REPLACE FUNCTION ledger.retry_advice(p_kind text, p_id bigint)
RETURNS TABLE (action text, reason text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payment ledger.payments;
    v_refund  ledger.refunds;
    v_switch  ledger.processing_switches;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.retry_advice', jsonb_build_object(
        'p_kind', p_kind IS NULL, 'p_id', p_id IS NULL));
    IF p_kind NOT IN ('payment', 'refund') THEN
        RAISE EXCEPTION 'retry advice is for kind payment or refund, not %', quote_literal(left(p_kind, 40))
            USING ERRCODE = 'LG015', DETAIL = format('ledger.retry_advice(%s, %s).', quote_literal(left(p_kind, 40)), p_id),
                  HINT = 'Ask for ''payment'' or ''refund''.';
    END IF;
    SELECT * INTO v_switch FROM ledger.processing_switches AS s WHERE s.scope = p_kind || 's';

    -- Each state decides the action and its reason together (the runbook's matrix, row by row).
    IF p_kind = 'payment' THEN
        SELECT * INTO v_payment FROM ledger.payments AS p WHERE p.id = p_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'payment % does not exist', p_id
                USING ERRCODE = 'LG104', DETAIL = format('No row in ledger.payments has id %s.', p_id), HINT = 'Check the id.';
        ELSIF v_payment.status IN ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED') THEN
            action := 'ALREADY_DONE';
            reason := format('captured at %s as ledger transaction %s; capture is idempotent and returns it',
                             v_payment.captured_at, v_payment.capture_transaction_id);
        ELSIF v_payment.status = 'FAILED' THEN
            action := 'INVESTIGATE';
            reason := format('failed at %s: %s; do not retry a failed capture', v_payment.failed_at,
                             coalesce(v_payment.failure_reason, 'no reason recorded'));
        ELSE
            action := 'RETRY';
            reason := format('%s since %s; ledger.capture_payment(%s) is safe to retry: it captures once',
                             v_payment.status, v_payment.initiated_at, p_id);
        END IF;
    ELSE
        SELECT * INTO v_refund FROM ledger.refunds AS r WHERE r.id = p_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'refund % does not exist', p_id
                USING ERRCODE = 'LG105', DETAIL = format('No row in ledger.refunds has id %s.', p_id), HINT = 'Check the id.';
        ELSIF v_refund.status = 'COMPLETED' THEN
            action := 'ALREADY_DONE';
            reason := format('completed at %s as ledger transaction %s', v_refund.completed_at, v_refund.transaction_id);
        ELSIF v_refund.status = 'FAILED' THEN
            action := 'INVESTIGATE';
            reason := format('failed at %s: %s; request a new refund if it is still owed', v_refund.failed_at,
                             coalesce(v_refund.failure_reason, 'no reason recorded'));
        ELSIF v_refund.status = 'PROCESSING' AND v_refund.processing_started_at > now() - interval '1 minute' THEN
            action := 'WAIT';
            reason := format('processing since %s; wait a minute before looking again', v_refund.processing_started_at);
        ELSIF v_refund.status = 'PROCESSING' THEN
            action := 'INVESTIGATE';
            reason := format('processing since %s, over a minute: investigate before anything else', v_refund.processing_started_at);
        ELSIF v_refund.status = 'PENDING' THEN
            action := 'WAIT';
            reason := 'awaiting approval (ledger.approve_refund); processing it now would be refused';
        ELSE
            action := 'RETRY';
            reason := format('approved at %s; ledger.process_refund(%s) is safe to retry once: it posts once', v_refund.approved_at, p_id);
        END IF;
    END IF;

    -- While the scope's kill switch is off, a retry waits.
    IF action = 'RETRY' AND NOT v_switch.enabled THEN
        action := 'WAIT';
        reason := format('%s are disabled for maintenance, retry-after %s', v_switch.scope, coalesce(v_switch.retry_after::text, 'unknown'));
    END IF;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION ledger.retry_advice(text, bigint) IS 'The runbook''s retry decision matrix from the live state: (action, reason), action RETRY, ALREADY_DONE, WAIT or INVESTIGATE. Payment: INITIATED/AUTHORIZED RETRY, captured ALREADY_DONE, FAILED INVESTIGATE. Refund: APPROVED RETRY, PROCESSING WAIT then INVESTIGATE after a minute, COMPLETED ALREADY_DONE, FAILED INVESTIGATE. A disabled scope turns RETRY into WAIT.';
REVOKE ALL ON FUNCTION ledger.retry_advice(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.retry_advice(text, bigint) TO ledger_app, ledger_oncall, ledger_auditor;
