CREATE TABLE ledger.adjustment_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_id      bigint NOT NULL REFERENCES ledger.wallets (id),
    amount         numeric NOT NULL CHECK (amount <> 0 AND amount <> 'NaN' AND amount <> 'Infinity' AND amount <> '-Infinity'),
    ticket         text NOT NULL,
    reason         text NOT NULL,
    status         text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'EXECUTED')),
    requested_by   text NOT NULL DEFAULT session_user,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    approved_by    text,
    approved_at    timestamptz,
    transaction_id bigint REFERENCES ledger.transactions (id),
    CONSTRAINT adjustment_requests_four_eyes CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CONSTRAINT adjustment_requests_executed CHECK ((status = 'EXECUTED') = (transaction_id IS NOT NULL AND approved_by IS NOT NULL))
);
CREATE UNIQUE INDEX adjustment_requests_one_pending ON ledger.adjustment_requests (wallet_id, amount, ticket) WHERE status = 'PENDING';
COMMENT ON TABLE ledger.adjustment_requests IS 'Adjustments above ops.adjustment_approval_threshold: the first on-call call records the request, the same call by a different on-call user executes it (maker-checker).';
COMMENT ON COLUMN ledger.adjustment_requests.id IS 'Request id.';
COMMENT ON COLUMN ledger.adjustment_requests.wallet_id IS 'Wallet to adjust.';
COMMENT ON COLUMN ledger.adjustment_requests.amount IS 'Signed amount: credit > 0, debit < 0; SUSPENSE takes the other side.';
COMMENT ON COLUMN ledger.adjustment_requests.ticket IS 'Ticket of the adjustment.';
COMMENT ON COLUMN ledger.adjustment_requests.reason IS 'Why, per the maker.';
COMMENT ON COLUMN ledger.adjustment_requests.status IS 'PENDING until a second on-call user executes it, then EXECUTED.';
COMMENT ON COLUMN ledger.adjustment_requests.requested_by IS 'The maker (session user).';
COMMENT ON COLUMN ledger.adjustment_requests.requested_at IS 'When it was requested.';
COMMENT ON COLUMN ledger.adjustment_requests.approved_by IS 'The checker (session user), never the maker.';
COMMENT ON COLUMN ledger.adjustment_requests.approved_at IS 'When it was executed.';
COMMENT ON COLUMN ledger.adjustment_requests.transaction_id IS 'The ADJUSTMENT transaction it posted.';
GRANT SELECT ON ledger.adjustment_requests TO ledger_oncall, ledger_auditor;
