CREATE OR REPLACE TRIGGER _010_append_only
    BEFORE UPDATE OR DELETE ON ledger.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_append_only ON ledger.transactions IS 'Transaction headers are append-only: UPDATE and DELETE are refused (LG012).';

CREATE OR REPLACE TRIGGER _010_no_truncate
    BEFORE TRUNCATE ON ledger.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_truncate ON ledger.transactions IS 'Transaction headers are append-only: TRUNCATE is refused (LG012).';
