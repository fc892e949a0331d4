CREATE OR REPLACE FUNCTION ledger_ops.unfreeze_wallet(p_wallet text, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_before ledger.wallets;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.unfreeze_wallet', jsonb_build_object(
        'p_wallet', p_wallet IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    PERFORM ledger_private.require_ticket('unfreeze_wallet', p_wallet, p_ticket, p_reason);
    v_before := ledger_private.lock_wallet(p_wallet);
    IF v_before.status <> 'FROZEN' THEN
        RAISE EXCEPTION 'wallet "%" is not frozen; it is %', p_wallet, v_before.status
            USING ERRCODE = 'LG302', DETAIL = format('Wallet %s is %s.', quote_literal(p_wallet), v_before.status),
                  HINT = 'Nothing to do.';
    END IF;
    UPDATE ledger.wallets AS w SET status = 'ACTIVE', freeze_mode = NULL, frozen_until = NULL WHERE w.id = v_before.id;
    RETURN ledger_private.audit('unfreeze_wallet', p_wallet, p_ticket, p_reason,
        jsonb_build_object('status', v_before.status, 'freeze_mode', v_before.freeze_mode, 'frozen_until', v_before.frozen_until),
        jsonb_build_object('status', 'ACTIVE'));
END
$$;
COMMENT ON FUNCTION ledger_ops.unfreeze_wallet(text, text, text) IS 'Lifts a freeze (the runbook''s unfreeze): the wallet takes entries again. LG302 when it is not frozen. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.unfreeze_wallet(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.unfreeze_wallet(text, text, text) TO ledger_oncall;
