CREATE TABLE ledger.payments (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key        text NOT NULL,
    order_ref              text NOT NULL CHECK (length(order_ref) BETWEEN 1 AND 200),
    payer_wallet_id        bigint NOT NULL REFERENCES ledger.wallets (id),
    payee_wallet_id        bigint NOT NULL REFERENCES ledger.wallets (id),
    currency               text NOT NULL REFERENCES ledger.currencies (code),
    amount                 numeric NOT NULL CHECK (amount > 0 AND amount <> 'NaN' AND amount <> 'Infinity'),
    platform_fee           numeric NOT NULL CHECK (platform_fee >= 0 AND platform_fee <= amount),
    method                 text NOT NULL CHECK (method IN ('COD', 'PREPAID')),
    status                 text NOT NULL DEFAULT 'INITIATED'
                           CHECK (status IN ('INITIATED', 'AUTHORIZED', 'CAPTURED', 'FAILED', 'PARTIALLY_REFUNDED', 'REFUNDED')),
    gateway_txn_id         text,
    capture_transaction_id bigint REFERENCES ledger.transactions (id),
    refunds_reserved       numeric NOT NULL DEFAULT 0,
    refunded_amount        numeric NOT NULL DEFAULT 0,
    fee_refunded           numeric NOT NULL DEFAULT 0,
    failure_reason         text,
    initiated_at           timestamptz NOT NULL DEFAULT now(),
    captured_at            timestamptz,
    failed_at              timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_payer_is_not_payee CHECK (payer_wallet_id <> payee_wallet_id),
    CONSTRAINT payments_refunds_within_captured CHECK (refunded_amount <= refunds_reserved AND refunds_reserved <= amount),
    CONSTRAINT payments_fee_refunds_within_fee CHECK (fee_refunded BETWEEN 0 AND platform_fee),
    CONSTRAINT payments_captured_has_transaction
        CHECK ((status IN ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED')) = (capture_transaction_id IS NOT NULL))
);
CREATE INDEX payments_order_ref ON ledger.payments (order_ref);
-- One gateway charge is captured once: an external id enters here (built online by revision 0010).
CREATE UNIQUE INDEX payments_one_gateway_txn ON ledger.payments (gateway_txn_id) WHERE gateway_txn_id IS NOT NULL;
CREATE INDEX payments_status_initiated_at ON ledger.payments (status, initiated_at);
CREATE INDEX payments_captured_at ON ledger.payments (captured_at) WHERE status IN ('CAPTURED', 'PARTIALLY_REFUNDED');
COMMENT ON TABLE ledger.payments IS 'Payments; status moves only along INITIATED -> AUTHORIZED -> CAPTURED -> PARTIALLY_REFUNDED -> REFUNDED, or to FAILED before capture. Refunds never exceed the captured amount.';
COMMENT ON COLUMN ledger.payments.id IS 'Payment id.';
COMMENT ON COLUMN ledger.payments.idempotency_key IS 'Key of the create_payment request (see ledger.idempotency_keys).';
COMMENT ON COLUMN ledger.payments.order_ref IS 'The order this payment pays.';
COMMENT ON COLUMN ledger.payments.payer_wallet_id IS 'Wallet debited at capture.';
COMMENT ON COLUMN ledger.payments.payee_wallet_id IS 'Wallet credited at capture with amount minus platform fee.';
COMMENT ON COLUMN ledger.payments.currency IS 'Currency of the payment and of both wallets.';
COMMENT ON COLUMN ledger.payments.amount IS 'Amount captured from the payer (> 0, at the currency''s scale).';
COMMENT ON COLUMN ledger.payments.platform_fee IS 'Part of amount credited to the platform wallet (0 .. amount).';
COMMENT ON COLUMN ledger.payments.method IS 'COD (cash on delivery) or PREPAID.';
COMMENT ON COLUMN ledger.payments.status IS 'INITIATED, AUTHORIZED, CAPTURED, FAILED, PARTIALLY_REFUNDED or REFUNDED; transitions checked by trigger (LG101).';
COMMENT ON COLUMN ledger.payments.gateway_txn_id IS 'Gateway transaction id given at capture, if any; one payment per gateway transaction (LG109).';
COMMENT ON COLUMN ledger.payments.capture_transaction_id IS 'The one PAYMENT_CAPTURE ledger transaction; set exactly when captured.';
COMMENT ON COLUMN ledger.payments.refunds_reserved IS 'Sum of the payment''s refunds that are not FAILED (requested, approved, in flight or completed); never above amount. Kept by the refund trigger.';
COMMENT ON COLUMN ledger.payments.refunded_amount IS 'Sum of COMPLETED refunds. Kept by the refund trigger.';
COMMENT ON COLUMN ledger.payments.fee_refunded IS 'Platform fee returned by completed refunds. Kept by process_refund.';
COMMENT ON COLUMN ledger.payments.failure_reason IS 'Why the payment failed.';
COMMENT ON COLUMN ledger.payments.initiated_at IS 'When the payment was created.';
COMMENT ON COLUMN ledger.payments.captured_at IS 'When it was captured.';
COMMENT ON COLUMN ledger.payments.failed_at IS 'When it failed.';
COMMENT ON COLUMN ledger.payments.updated_at IS 'Last change.';
GRANT SELECT ON ledger.payments TO ledger_oncall, ledger_auditor;
