CREATE TABLE ledger.settlement_batches (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_date         date NOT NULL,
    payouts_created  integer NOT NULL DEFAULT 0,
    payouts_existing integer NOT NULL DEFAULT 0,
    amount_created   numeric NOT NULL DEFAULT 0,
    started_by       text NOT NULL DEFAULT session_user,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    payouts_refused  bigint NOT NULL DEFAULT 0
);
CREATE INDEX settlement_batches_run_date ON ledger.settlement_batches (run_date);
COMMENT ON TABLE ledger.settlement_batches IS 'Runs of ledger.run_settlement_batch; a rerun of a day is a new row whose payouts are all found existing (created = false).';
COMMENT ON COLUMN ledger.settlement_batches.id IS 'Batch id.';
COMMENT ON COLUMN ledger.settlement_batches.run_date IS 'The UTC day whose captured payments it pays out.';
COMMENT ON COLUMN ledger.settlement_batches.payouts_created IS 'Payouts this run created.';
COMMENT ON COLUMN ledger.settlement_batches.payouts_refused IS 'Orders this run could not pay (ledger_check.settlement_refusals lists them).';
COMMENT ON COLUMN ledger.settlement_batches.payouts_existing IS 'Orders already paid out (by an earlier run or a manual payout).';
COMMENT ON COLUMN ledger.settlement_batches.amount_created IS 'Sum of the payouts this run created.';
COMMENT ON COLUMN ledger.settlement_batches.started_by IS 'Session user that ran it.';
COMMENT ON COLUMN ledger.settlement_batches.started_at IS 'When it started.';
COMMENT ON COLUMN ledger.settlement_batches.finished_at IS 'When it finished.';
GRANT SELECT ON ledger.settlement_batches TO ledger_oncall, ledger_auditor;
