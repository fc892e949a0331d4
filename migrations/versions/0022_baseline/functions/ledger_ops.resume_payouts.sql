CREATE OR REPLACE FUNCTION ledger_ops.resume_payouts(p_beneficiary text, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
    SELECT * FROM ledger_private.set_payout_account('resume_payouts', p_beneficiary, 'ACTIVE', p_reason, p_ticket)
$$;
COMMENT ON FUNCTION ledger_ops.resume_payouts(text, text, text) IS 'Lets payouts to a beneficiary go out again once recovery is confirmed. LG302 when already active. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.resume_payouts(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.resume_payouts(text, text, text) TO ledger_oncall;
