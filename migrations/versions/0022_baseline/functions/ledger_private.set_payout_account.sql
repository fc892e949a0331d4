CREATE OR REPLACE FUNCTION ledger_private.set_payout_account(
    p_action text, p_beneficiary text, p_status text, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_wallet  ledger.wallets;
    v_account ledger.payout_accounts;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.' || p_action, jsonb_build_object(
        'p_beneficiary', p_beneficiary IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    PERFORM ledger_private.require_ticket(p_action, p_beneficiary, p_ticket, p_reason);
    v_wallet := ledger_private.lock_wallet(p_beneficiary);
    INSERT INTO ledger.payout_accounts AS a (wallet_id) VALUES (v_wallet.id) ON CONFLICT (wallet_id) DO NOTHING;
    SELECT * INTO STRICT v_account FROM ledger.payout_accounts AS a WHERE a.wallet_id = v_wallet.id FOR UPDATE;
    IF v_account.status = p_status THEN
        RAISE EXCEPTION 'payouts to "%" are already %', p_beneficiary, v_account.status
            USING ERRCODE = 'LG302', DETAIL = format('Payout account %s is %s since %s.', v_account.id, v_account.status, v_account.updated_at),
                  HINT = 'Nothing to do; the audit log has the ticket of the last change.';
    END IF;
    UPDATE ledger.payout_accounts AS a
       SET status = p_status, suspended_reason = CASE WHEN p_status = 'SUSPENDED' THEN p_ticket || ': ' || p_reason END,
           updated_at = now()
     WHERE a.id = v_account.id;
    RETURN ledger_private.audit(p_action, p_beneficiary, p_ticket, p_reason,
        jsonb_build_object('payout_account', v_account.id, 'status', v_account.status),
        jsonb_build_object('payout_account', v_account.id, 'status', p_status));
END
$$;
COMMENT ON FUNCTION ledger_private.set_payout_account(text, text, text, text, text) IS 'Body of ledger_ops.suspend_payouts / resume_payouts: opens the payout account if needed, sets its status (LG302 when it already has it) and writes the audit row.';
