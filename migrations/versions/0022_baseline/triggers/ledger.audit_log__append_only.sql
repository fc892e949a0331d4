CREATE OR REPLACE TRIGGER _010_append_only
    BEFORE UPDATE OR DELETE ON ledger.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_append_only ON ledger.audit_log IS 'The audit log is append-only: UPDATE and DELETE are refused (LG012), even by the owner.';

CREATE OR REPLACE TRIGGER _010_no_truncate
    BEFORE TRUNCATE ON ledger.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_truncate ON ledger.audit_log IS 'The audit log is append-only: TRUNCATE is refused (LG012).';
