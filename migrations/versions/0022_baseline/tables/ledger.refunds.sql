CREATE TABLE ledger.refunds (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key       text NOT NULL,
    payment_id            bigint NOT NULL REFERENCES ledger.payments (id),
    amount                numeric NOT NULL CHECK (amount > 0 AND amount <> 'NaN' AND amount <> 'Infinity'),
    refund_platform_fee   boolean NOT NULL DEFAULT false,
    platform_fee_refunded numeric NOT NULL DEFAULT 0 CHECK (platform_fee_refunded >= 0),
    status                text NOT NULL DEFAULT 'PENDING'
                          CHECK (status IN ('PENDING', 'APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED')),
    approved_by           text,
    transaction_id        bigint REFERENCES ledger.transactions (id),
    failure_reason        text,
    requested_at          timestamptz NOT NULL DEFAULT now(),
    approved_at           timestamptz,
    processing_started_at timestamptz,
    completed_at          timestamptz,
    failed_at             timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refunds_completed_has_transaction CHECK ((status = 'COMPLETED') = (transaction_id IS NOT NULL))
);
CREATE INDEX refunds_payment_id ON ledger.refunds (payment_id);
CREATE INDEX refunds_status_updated_at ON ledger.refunds (status, updated_at);
COMMENT ON TABLE ledger.refunds IS 'Refunds of a payment; status moves only along PENDING -> APPROVED -> PROCESSING -> COMPLETED, or to FAILED before completion. Processed once.';
COMMENT ON COLUMN ledger.refunds.id IS 'Refund id.';
COMMENT ON COLUMN ledger.refunds.idempotency_key IS 'Key of the request_refund request.';
COMMENT ON COLUMN ledger.refunds.payment_id IS 'The captured payment refunded.';
COMMENT ON COLUMN ledger.refunds.amount IS 'Amount returned to the payer (> 0).';
COMMENT ON COLUMN ledger.refunds.refund_platform_fee IS 'Whether the platform returns its fee in proportion (3 legs) or the payee bears the whole refund (2 legs).';
COMMENT ON COLUMN ledger.refunds.platform_fee_refunded IS 'Part of the refund the platform wallet returned (its fee share); set at completion.';
COMMENT ON COLUMN ledger.refunds.status IS 'PENDING, APPROVED, PROCESSING, COMPLETED or FAILED; transitions checked by trigger (LG102).';
COMMENT ON COLUMN ledger.refunds.approved_by IS 'Who approved it.';
COMMENT ON COLUMN ledger.refunds.transaction_id IS 'The one REFUND ledger transaction; set exactly when COMPLETED.';
COMMENT ON COLUMN ledger.refunds.failure_reason IS 'Why the refund failed.';
COMMENT ON COLUMN ledger.refunds.requested_at IS 'When it was requested.';
COMMENT ON COLUMN ledger.refunds.approved_at IS 'When it was approved.';
COMMENT ON COLUMN ledger.refunds.processing_started_at IS 'When processing started.';
COMMENT ON COLUMN ledger.refunds.completed_at IS 'When it completed.';
COMMENT ON COLUMN ledger.refunds.failed_at IS 'When it failed.';
COMMENT ON COLUMN ledger.refunds.updated_at IS 'Last change.';
GRANT SELECT ON ledger.refunds TO ledger_oncall, ledger_auditor;
