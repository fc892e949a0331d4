CREATE TABLE ledger.reversal_requests (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id          bigint NOT NULL REFERENCES ledger.transactions (id),
    ticket                  text NOT NULL,
    reason                  text NOT NULL,
    status                  text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'EXECUTED')),
    requested_by            text NOT NULL DEFAULT session_user,
    requested_at            timestamptz NOT NULL DEFAULT now(),
    approved_by             text,
    approved_at             timestamptz,
    reversal_transaction_id bigint REFERENCES ledger.transactions (id),
    CONSTRAINT reversal_requests_four_eyes CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CONSTRAINT reversal_requests_executed CHECK ((status = 'EXECUTED') = (reversal_transaction_id IS NOT NULL AND approved_by IS NOT NULL))
);
CREATE UNIQUE INDEX reversal_requests_one_pending ON ledger.reversal_requests (transaction_id) WHERE status = 'PENDING';
COMMENT ON TABLE ledger.reversal_requests IS 'Reversals that need two on-call users (ledger_private.four_eyes_needed): the first call records the request, the same call by a different on-call user executes it (maker-checker).';
COMMENT ON COLUMN ledger.reversal_requests.id IS 'Request id.';
COMMENT ON COLUMN ledger.reversal_requests.transaction_id IS 'The transaction to reverse; at most one pending request each.';
COMMENT ON COLUMN ledger.reversal_requests.ticket IS 'Ticket of the reversal; the checker repeats it.';
COMMENT ON COLUMN ledger.reversal_requests.reason IS 'Why, per the maker.';
COMMENT ON COLUMN ledger.reversal_requests.status IS 'PENDING until a second on-call user executes it, then EXECUTED.';
COMMENT ON COLUMN ledger.reversal_requests.requested_by IS 'The maker (session user).';
COMMENT ON COLUMN ledger.reversal_requests.requested_at IS 'When it was requested.';
COMMENT ON COLUMN ledger.reversal_requests.approved_by IS 'The checker (session user), never the maker.';
COMMENT ON COLUMN ledger.reversal_requests.approved_at IS 'When it was executed.';
COMMENT ON COLUMN ledger.reversal_requests.reversal_transaction_id IS 'The REVERSAL transaction it posted.';
GRANT SELECT ON ledger.reversal_requests TO ledger_oncall, ledger_auditor;
