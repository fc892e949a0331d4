CREATE OR REPLACE FUNCTION ledger_ops.suspend_payouts(p_beneficiary text, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
    SELECT * FROM ledger_private.set_payout_account('suspend_payouts', p_beneficiary, 'SUSPENDED', p_reason, p_ticket)
$$;
COMMENT ON FUNCTION ledger_ops.suspend_payouts(text, text, text) IS 'Stops new payouts to a beneficiary (the runbook''s payout_provider_account is_active = false); payouts in flight are untouched. LG302 when already suspended. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.suspend_payouts(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.suspend_payouts(text, text, text) TO ledger_oncall;
