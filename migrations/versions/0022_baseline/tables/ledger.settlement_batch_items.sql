CREATE TABLE ledger.settlement_batch_items (
    batch_id  bigint NOT NULL REFERENCES ledger.settlement_batches (id),
    order_ref text NOT NULL,
    payout_id bigint NOT NULL REFERENCES ledger.payouts (id),
    created   boolean NOT NULL,
    PRIMARY KEY (batch_id, order_ref)
);
COMMENT ON TABLE ledger.settlement_batch_items IS 'What each settlement batch paid: one row per order, created = false when the order was already paid.';
COMMENT ON COLUMN ledger.settlement_batch_items.batch_id IS 'The batch.';
COMMENT ON COLUMN ledger.settlement_batch_items.order_ref IS 'The order.';
COMMENT ON COLUMN ledger.settlement_batch_items.payout_id IS 'The order''s live payout (created by this batch or found).';
COMMENT ON COLUMN ledger.settlement_batch_items.created IS 'Whether this batch created the payout.';
GRANT SELECT ON ledger.settlement_batch_items TO ledger_oncall, ledger_auditor;
