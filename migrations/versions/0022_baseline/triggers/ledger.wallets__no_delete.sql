CREATE OR REPLACE TRIGGER _010_no_delete
    BEFORE DELETE ON ledger.wallets
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_delete ON ledger.wallets IS 'Wallets are never deleted (LG012); close them.';

CREATE OR REPLACE TRIGGER _010_no_truncate
    BEFORE TRUNCATE ON ledger.wallets
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_truncate ON ledger.wallets IS 'Wallets are never truncated (LG012).';
