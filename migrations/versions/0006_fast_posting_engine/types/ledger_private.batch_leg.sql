CREATE TYPE ledger_private.batch_leg AS (
    item            bigint,
    idempotency_key text,
    kind            text,
    reference       text,
    wallet_id       bigint,
    code            text,
    amount          numeric,
    currency        text,
    fingerprint     bytea,
    txn             bigint
);
COMMENT ON TYPE ledger_private.batch_leg IS 'One leg of a ledger.post_transactions batch while it is validated and posted (kept in a PL/pgSQL array: no temp table a caller could shadow).';
COMMENT ON COLUMN ledger_private.batch_leg.item IS 'Position of the transfer in the batch, from 1.';
COMMENT ON COLUMN ledger_private.batch_leg.idempotency_key IS 'The transfer''s key.';
COMMENT ON COLUMN ledger_private.batch_leg.kind IS 'The transfer''s kind (TRANSFER).';
COMMENT ON COLUMN ledger_private.batch_leg.reference IS 'The transfer''s reference.';
COMMENT ON COLUMN ledger_private.batch_leg.wallet_id IS 'The leg''s wallet, NULL when its code is unknown.';
COMMENT ON COLUMN ledger_private.batch_leg.code IS 'The leg''s wallet code as sent.';
COMMENT ON COLUMN ledger_private.batch_leg.amount IS 'The leg''s amount at the currency''s scale, NULL when invalid.';
COMMENT ON COLUMN ledger_private.batch_leg.currency IS 'The wallet''s currency.';
COMMENT ON COLUMN ledger_private.batch_leg.fingerprint IS 'Request fingerprint of the transfer, as ledger.post_transaction computes it.';
COMMENT ON COLUMN ledger_private.batch_leg.txn IS 'Transaction id allocated for the transfer.';
