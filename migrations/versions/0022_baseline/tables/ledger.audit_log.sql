CREATE TABLE ledger.audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action       text NOT NULL,
    target       text NOT NULL,
    ticket       text NOT NULL CHECK (length(btrim(ticket)) BETWEEN 1 AND 100),
    reason       text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
    before_state jsonb,
    after_state  jsonb,
    performed_by text NOT NULL DEFAULT session_user,
    performed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_target ON ledger.audit_log (target, performed_at);
COMMENT ON TABLE ledger.audit_log IS 'Every on-call action: who (the session user, not the definer), what, ticket, reason, before and after. Append-only.';
COMMENT ON COLUMN ledger.audit_log.id IS 'Audit row id.';
COMMENT ON COLUMN ledger.audit_log.action IS 'The ledger_ops procedure that acted, e.g. set_kill_switch.';
COMMENT ON COLUMN ledger.audit_log.target IS 'What it acted on: a wallet code, a scope, a transaction id.';
COMMENT ON COLUMN ledger.audit_log.ticket IS 'Incident or change ticket, required.';
COMMENT ON COLUMN ledger.audit_log.reason IS 'Why, in the on-call engineer''s words, required.';
COMMENT ON COLUMN ledger.audit_log.before_state IS 'The target''s state before the action.';
COMMENT ON COLUMN ledger.audit_log.after_state IS 'The target''s state after the action.';
COMMENT ON COLUMN ledger.audit_log.performed_by IS 'Session user of the on-call engineer (never the function owner).';
COMMENT ON COLUMN ledger.audit_log.performed_at IS 'When the action happened.';
GRANT SELECT ON ledger.audit_log TO ledger_oncall, ledger_auditor;
