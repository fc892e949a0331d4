CREATE SCHEMA ledger_ops;
COMMENT ON SCHEMA ledger_ops IS 'Audited on-call procedures (SECURITY DEFINER, ticket and reason required), called by ledger_oncall.';
GRANT USAGE ON SCHEMA ledger_ops TO ledger_oncall;
