CREATE TABLE ledger.settlement_batch_refusals (
    batch_id  bigint NOT NULL REFERENCES ledger.settlement_batches (id),
    order_ref text NOT NULL,
    sqlstate  text NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (batch_id, order_ref)
);
COMMENT ON TABLE ledger.settlement_batch_refusals IS 'Orders a settlement batch could not pay, and why (short of funds, frozen, suspended, busy): the batch paid everyone else; a later run pays these once the cause is fixed (ledger_check.settlement_refusals).';
COMMENT ON COLUMN ledger.settlement_batch_refusals.batch_id IS 'The batch.';
COMMENT ON COLUMN ledger.settlement_batch_refusals.order_ref IS 'The order it could not pay.';
COMMENT ON COLUMN ledger.settlement_batch_refusals.sqlstate IS 'SQLSTATE of the refusal (LG010 short of funds, LG008 frozen, LG201 suspended, LG206 busy, …).';
COMMENT ON COLUMN ledger.settlement_batch_refusals.reason IS 'The refusal''s message.';
GRANT SELECT ON ledger.settlement_batch_refusals TO ledger_oncall, ledger_auditor;
