CREATE OR REPLACE TRIGGER _010_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger.check_runs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_append_only ON ledger.check_runs IS 'Check history is append-only (LG012).';

CREATE OR REPLACE TRIGGER _010_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger.check_findings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_append_only ON ledger.check_findings IS 'Check history is append-only (LG012).';
