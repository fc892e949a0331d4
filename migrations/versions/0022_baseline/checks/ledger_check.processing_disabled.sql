CREATE OR REPLACE FUNCTION ledger_check.processing_disabled(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'processing_disabled', 'LOW', s.scope, NULL::numeric,
           jsonb_build_object('scope', s.scope, 'retry_after', s.retry_after, 'since', s.changed_at, 'by', s.changed_by,
                              'ticket', s.ticket, 'reason', s.reason),
           'The kill switch is off: turn it back on with ledger_ops.set_kill_switch once the incident is over.'
      FROM ledger.processing_switches AS s
     WHERE NOT s.enabled
$$;
COMMENT ON FUNCTION ledger_check.processing_disabled(interval) IS 'Payments runbook, emergency stop: a kill switch that is off (payments, refunds or payouts refused with LG108). LOW: a reminder, not a fault.';
REVOKE ALL ON FUNCTION ledger_check.processing_disabled(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.processing_disabled(interval) TO ledger_oncall, ledger_auditor;
