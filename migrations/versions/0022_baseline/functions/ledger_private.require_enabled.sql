CREATE OR REPLACE FUNCTION ledger_private.require_enabled(p_scope text)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_switch ledger.processing_switches;
BEGIN
    SELECT * INTO v_switch FROM ledger.processing_switches AS s WHERE s.scope = p_scope;
    IF v_switch.enabled IS DISTINCT FROM false THEN
        RETURN;
    END IF;
    RAISE EXCEPTION '% processing is disabled for maintenance', p_scope
        USING ERRCODE = 'LG108',
              DETAIL = format('retry-after: %s; disabled by %s at %s (ticket %s): %s',
                              coalesce(to_char(v_switch.retry_after AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'unknown'),
                              v_switch.changed_by, v_switch.changed_at, v_switch.ticket, v_switch.reason),
              HINT = 'Retry after the time in DETAIL with the same idempotency key; reads and checks keep working.';
END
$$;
COMMENT ON FUNCTION ledger_private.require_enabled(text) IS 'Raises LG108 (maintenance, DETAIL starts with "retry-after: <UTC time>") while the kill switch of the scope is off.';
