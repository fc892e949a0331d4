CREATE OR REPLACE FUNCTION ledger_private.tg_payments__lifecycle()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'INITIATED' OR NEW.capture_transaction_id IS NOT NULL
           OR NEW.refunds_reserved <> 0 OR NEW.refunded_amount <> 0 OR NEW.fee_refunded <> 0 THEN
            RAISE EXCEPTION 'payment of order % must start INITIATED with nothing captured or refunded', NEW.order_ref
                USING ERRCODE = 'LG101',
                      DETAIL = format('Inserted with status %s, capture transaction %s.', NEW.status, NEW.capture_transaction_id),
                      HINT = 'Create payments with ledger.create_payment.';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.idempotency_key, NEW.order_ref, NEW.payer_wallet_id, NEW.payee_wallet_id, NEW.currency,
        NEW.amount, NEW.platform_fee, NEW.method, NEW.initiated_at)
       IS DISTINCT FROM (OLD.id, OLD.idempotency_key, OLD.order_ref, OLD.payer_wallet_id, OLD.payee_wallet_id,
                         OLD.currency, OLD.amount, OLD.platform_fee, OLD.method, OLD.initiated_at)
       OR (OLD.capture_transaction_id IS NOT NULL AND NEW.capture_transaction_id IS DISTINCT FROM OLD.capture_transaction_id) THEN
        RAISE EXCEPTION 'payment %: what was agreed and captured never changes', OLD.id
            USING ERRCODE = 'LG016',
                  DETAIL = format('Order %s: parties, amount, fee, method and the capture transaction are fixed once set.', OLD.order_ref),
                  HINT = 'Refund and create a new payment instead.';
    END IF;
    -- Refund counters move only with the refunds (from the refund trigger).
    IF pg_trigger_depth() < 2 AND (NEW.refunds_reserved, NEW.refunded_amount, NEW.fee_refunded)
                                  IS DISTINCT FROM (OLD.refunds_reserved, OLD.refunded_amount, OLD.fee_refunded) THEN
        RAISE EXCEPTION 'payment %: refund totals change only through refunds', OLD.id
            USING ERRCODE = 'LG016', DETAIL = 'refunds_reserved, refunded_amount and fee_refunded are kept by the refund trigger.',
                  HINT = 'Use ledger.request_refund / ledger.process_refund / ledger.fail_refund.';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF (OLD.status, NEW.status) NOT IN (('INITIATED', 'AUTHORIZED'), ('INITIATED', 'CAPTURED'), ('INITIATED', 'FAILED'),
                                            ('AUTHORIZED', 'CAPTURED'), ('AUTHORIZED', 'FAILED'),
                                            ('CAPTURED', 'PARTIALLY_REFUNDED'), ('CAPTURED', 'REFUNDED'),
                                            ('PARTIALLY_REFUNDED', 'REFUNDED')) THEN
            RAISE EXCEPTION 'payment % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'LG101',
                      DETAIL = format('Payment %s of order %s is %s.', OLD.id, OLD.order_ref, OLD.status),
                      HINT = CASE
                                 WHEN OLD.status = 'FAILED' THEN 'A failed payment is final: investigate, then create a new payment.'
                                 WHEN OLD.status IN ('CAPTURED', 'PARTIALLY_REFUNDED') THEN 'Money moved: refund it (ledger.request_refund) instead.'
                                 ELSE 'See ledger.retry_advice(''payment'', id) for what to do.'
                             END;
        END IF;
        IF NEW.status = 'CAPTURED' AND NOT EXISTS (
               SELECT FROM ledger.transactions AS t
                WHERE t.id = NEW.capture_transaction_id AND t.kind = 'PAYMENT_CAPTURE' AND t.payment_id = NEW.id) THEN
            RAISE EXCEPTION 'payment % cannot be CAPTURED without its capture transaction', OLD.id
                USING ERRCODE = 'LG101',
                      DETAIL = format('capture_transaction_id %s is not a PAYMENT_CAPTURE of payment %s.', NEW.capture_transaction_id, OLD.id),
                      HINT = 'Capture with ledger.capture_payment.';
        END IF;
        IF NEW.status IN ('PARTIALLY_REFUNDED', 'REFUNDED') AND pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'payment % becomes % only through its refunds', OLD.id, NEW.status
                USING ERRCODE = 'LG101', DETAIL = 'Refund states follow the completed refunds.',
                      HINT = 'Use ledger.process_refund.';
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_payments__lifecycle() IS 'Payments move only INITIATED -> AUTHORIZED -> CAPTURED -> PARTIALLY_REFUNDED -> REFUNDED, or to FAILED before capture (LG101); CAPTURED needs its PAYMENT_CAPTURE transaction; the agreed terms and refund totals are not written directly (LG016).';

CREATE OR REPLACE TRIGGER _100_lifecycle
    BEFORE INSERT OR UPDATE ON ledger.payments
    FOR EACH ROW EXECUTE FUNCTION ledger_private.tg_payments__lifecycle();
COMMENT ON TRIGGER _100_lifecycle ON ledger.payments IS 'Enforces the payment state machine, whoever writes the row.';

CREATE OR REPLACE TRIGGER _010_no_delete
    BEFORE DELETE OR TRUNCATE ON ledger.payments
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_delete ON ledger.payments IS 'Payments are never deleted (LG012).';
