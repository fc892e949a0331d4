CREATE OR REPLACE FUNCTION ledger_ops.freeze_wallet(
    p_wallet text, p_reason text, p_ticket text, p_mode text DEFAULT 'FULL', p_until timestamptz DEFAULT NULL)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_before ledger.wallets;
    v_after  ledger.wallets;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.freeze_wallet', jsonb_build_object(
        'p_wallet', p_wallet IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL, 'p_mode', p_mode IS NULL));
    PERFORM ledger_private.require_ticket('freeze_wallet', p_wallet, p_ticket, p_reason);
    IF p_mode NOT IN ('FULL', 'DEBITS') OR p_until <= now() THEN
        RAISE EXCEPTION 'freeze of "%": mode % until %', p_wallet, quote_literal(left(p_mode, 20)), p_until
            USING ERRCODE = 'LG015', DETAIL = 'The mode is FULL (no entries) or DEBITS (credits still land); the expiry, if any, lies ahead.',
                  HINT = 'ledger_ops.freeze_wallet(wallet, reason, ticket, ''FULL'' or ''DEBITS'', optional expiry)';
    END IF;
    v_before := ledger_private.lock_wallet(p_wallet);
    IF v_before.status = 'FROZEN' AND v_before.freeze_mode = p_mode AND v_before.frozen_until IS NOT DISTINCT FROM p_until THEN
        RAISE EXCEPTION 'wallet "%" is already FROZEN (%)', p_wallet, p_mode
            USING ERRCODE = 'LG302', DETAIL = format('Frozen since %s.', v_before.updated_at),
                  HINT = 'Nothing to do; the audit log has the ticket of the freeze.';
    END IF;
    UPDATE ledger.wallets AS w SET status = 'FROZEN', freeze_mode = p_mode, frozen_until = p_until
     WHERE w.id = v_before.id
    RETURNING * INTO v_after;
    RETURN ledger_private.audit('freeze_wallet', p_wallet, p_ticket, p_reason,
        jsonb_build_object('status', v_before.status, 'freeze_mode', v_before.freeze_mode, 'frozen_until', v_before.frozen_until),
        jsonb_build_object('status', v_after.status, 'freeze_mode', v_after.freeze_mode, 'frozen_until', v_after.frozen_until));
END
$$;
COMMENT ON FUNCTION ledger_ops.freeze_wallet(text, text, text, text, timestamptz) IS 'Freezes a wallet: FULL takes no entries, DEBITS still takes credits (and chargebacks); optional expiry. Takes effect for every posting that has not locked the wallet yet. Ticket and reason required (LG301); freezing it the same way again is LG302. Audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.freeze_wallet(text, text, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.freeze_wallet(text, text, text, text, timestamptz) TO ledger_oncall;
