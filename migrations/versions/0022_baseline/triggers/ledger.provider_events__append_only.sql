CREATE OR REPLACE TRIGGER _010_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger.provider_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_append_only ON ledger.provider_events IS 'Provider events are raw evidence: never updated, deleted or truncated (LG012).';
