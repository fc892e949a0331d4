CREATE SCHEMA ledger_private;
COMMENT ON SCHEMA ledger_private IS 'Trigger functions and helpers of the ledger; no role but ledger_owner uses it.';
