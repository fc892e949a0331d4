CREATE TABLE ledger.processing_switches (
    scope       text PRIMARY KEY CHECK (scope IN ('payments', 'refunds', 'payouts')),
    enabled     boolean NOT NULL DEFAULT true,
    retry_after timestamptz,
    reason      text,
    ticket      text,
    changed_by  text NOT NULL DEFAULT session_user,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledger.processing_switches IS 'Kill switches: while a scope is disabled its API functions refuse with LG108 and the retry-after; reads and checks keep working. Changed only by ledger_ops.set_kill_switch (audited).';
COMMENT ON COLUMN ledger.processing_switches.scope IS 'payments, refunds or payouts.';
COMMENT ON COLUMN ledger.processing_switches.enabled IS 'false = the scope''s API refuses new work.';
COMMENT ON COLUMN ledger.processing_switches.retry_after IS 'When callers may retry, returned in the LG108 DETAIL.';
COMMENT ON COLUMN ledger.processing_switches.reason IS 'Why the switch was last changed.';
COMMENT ON COLUMN ledger.processing_switches.ticket IS 'Ticket of the last change.';
COMMENT ON COLUMN ledger.processing_switches.changed_by IS 'Session user of the last change.';
COMMENT ON COLUMN ledger.processing_switches.changed_at IS 'When the switch last changed.';
GRANT SELECT ON ledger.processing_switches TO ledger_app, ledger_oncall, ledger_auditor;
