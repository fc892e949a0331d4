CREATE SCHEMA ledger;
COMMENT ON SCHEMA ledger IS 'The ledger: tables (not a public interface) and the application API, called by ledger_app.';
GRANT USAGE ON SCHEMA ledger TO ledger_app, ledger_oncall, ledger_auditor;
