CREATE TABLE ledger.idempotency_keys (
    idempotency_key     text PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    operation           text NOT NULL,
    request_fingerprint bytea NOT NULL,
    result_id           bigint NOT NULL,
    created_by          text NOT NULL DEFAULT session_user,
    created_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledger.idempotency_keys IS 'One row per idempotency key: the same key with the same request returns result_id; with another request it is refused (LG013).';
COMMENT ON COLUMN ledger.idempotency_keys.idempotency_key IS 'Caller-chosen key, unique across operations.';
COMMENT ON COLUMN ledger.idempotency_keys.operation IS 'API function that took the key, e.g. ledger.post_transaction.';
COMMENT ON COLUMN ledger.idempotency_keys.request_fingerprint IS 'SHA-256 of the normalised request; a retry must match it.';
COMMENT ON COLUMN ledger.idempotency_keys.result_id IS 'Id the first request returned (transaction, payment, refund …).';
COMMENT ON COLUMN ledger.idempotency_keys.created_by IS 'Session user of the first request.';
COMMENT ON COLUMN ledger.idempotency_keys.created_at IS 'Time of the first request.';
GRANT SELECT ON ledger.idempotency_keys TO ledger_oncall, ledger_auditor;
