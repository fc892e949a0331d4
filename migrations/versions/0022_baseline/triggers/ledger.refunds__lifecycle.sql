CREATE OR REPLACE FUNCTION ledger_private.tg_refunds__lifecycle()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_payment ledger.payments;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'PENDING' OR NEW.transaction_id IS NOT NULL OR NEW.platform_fee_refunded <> 0 THEN
            RAISE EXCEPTION 'refund of payment % must start PENDING with nothing posted', NEW.payment_id
                USING ERRCODE = 'LG102', DETAIL = format('Inserted with status %s.', NEW.status),
                      HINT = 'Request refunds with ledger.request_refund.';
        END IF;
        -- Lock the payment row, check, then reserve the amount on it: the
        -- requests of one payment take turns, and a REPEATABLE READ request
        -- that raced another fails to serialize instead of reading a stale total.
        SELECT * INTO v_payment FROM ledger.payments AS p WHERE p.id = NEW.payment_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'payment % does not exist', NEW.payment_id
                USING ERRCODE = 'LG104', DETAIL = format('A refund of %s names payment %s.', NEW.amount, NEW.payment_id),
                      HINT = 'Use the id ledger.create_payment returned.';
        END IF;
        IF v_payment.status NOT IN ('CAPTURED', 'PARTIALLY_REFUNDED') THEN
            RAISE EXCEPTION 'payment % is %; only a captured payment can be refunded', v_payment.id, v_payment.status
                USING ERRCODE = 'LG101',
                      DETAIL = format('Order %s: a refund of %s %s was requested.', v_payment.order_ref, NEW.amount, v_payment.currency),
                      HINT = CASE WHEN v_payment.status = 'REFUNDED' THEN 'It is refunded in full already.'
                                  ELSE 'Capture it first, or fail it (ledger.fail_payment) if it will not be captured.' END;
        END IF;
        IF v_payment.refunds_reserved + NEW.amount > v_payment.amount THEN
            RAISE EXCEPTION 'refund of % % exceeds what is left of payment %', NEW.amount, v_payment.currency, v_payment.id
                USING ERRCODE = 'LG103',
                      DETAIL = format('Payment %s captured %s %s; refunds requested, in flight or completed already total %s.',
                                      v_payment.id, v_payment.amount, v_payment.currency, v_payment.refunds_reserved),
                      HINT = format('At most %s %s can still be refunded.', v_payment.amount - v_payment.refunds_reserved, v_payment.currency);
        END IF;
        UPDATE ledger.payments AS p SET refunds_reserved = p.refunds_reserved + NEW.amount WHERE p.id = NEW.payment_id;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.idempotency_key, NEW.payment_id, NEW.amount, NEW.refund_platform_fee, NEW.requested_at)
       IS DISTINCT FROM (OLD.id, OLD.idempotency_key, OLD.payment_id, OLD.amount, OLD.refund_platform_fee, OLD.requested_at) THEN
        RAISE EXCEPTION 'refund %: payment, amount and fee rule never change', OLD.id
            USING ERRCODE = 'LG016', DETAIL = format('Refund %s of payment %s for %s.', OLD.id, OLD.payment_id, OLD.amount),
                  HINT = 'Fail it and request a new refund.';
    END IF;
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        IF NEW.transaction_id IS DISTINCT FROM OLD.transaction_id OR NEW.platform_fee_refunded <> OLD.platform_fee_refunded THEN
            RAISE EXCEPTION 'refund %: its posting never changes', OLD.id
                USING ERRCODE = 'LG016', DETAIL = format('Refund %s is %s.', OLD.id, OLD.status), HINT = 'Reverse the transaction instead.';
        END IF;
        NEW.updated_at := now();
        RETURN NEW;
    END IF;
    IF (OLD.status, NEW.status) NOT IN (('PENDING', 'APPROVED'), ('PENDING', 'FAILED'), ('APPROVED', 'PROCESSING'),
                                        ('APPROVED', 'FAILED'), ('PROCESSING', 'COMPLETED'), ('PROCESSING', 'FAILED')) THEN
        RAISE EXCEPTION 'refund % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'LG102',
                  DETAIL = format('Refund %s of payment %s (%s) is %s.', OLD.id, OLD.payment_id, OLD.amount, OLD.status),
                  HINT = CASE OLD.status
                             WHEN 'PENDING' THEN 'Approve it first (ledger.approve_refund).'
                             WHEN 'COMPLETED' THEN 'It is done; reverse its transaction if it was wrong.'
                             WHEN 'FAILED' THEN 'A failed refund is final: request a new one.'
                             ELSE 'See ledger.retry_advice(''refund'', id).'
                         END;
    END IF;
    IF NEW.status = 'FAILED' THEN
        UPDATE ledger.payments AS p SET refunds_reserved = p.refunds_reserved - OLD.amount WHERE p.id = OLD.payment_id;
    ELSIF NEW.status = 'COMPLETED' THEN
        IF NOT EXISTS (SELECT FROM ledger.transactions AS t
                        WHERE t.id = NEW.transaction_id AND t.kind = 'REFUND' AND t.refund_id = NEW.id) THEN
            RAISE EXCEPTION 'refund % cannot be COMPLETED without its REFUND transaction', OLD.id
                USING ERRCODE = 'LG102', DETAIL = format('transaction_id %s is not a REFUND of refund %s.', NEW.transaction_id, OLD.id),
                      HINT = 'Process refunds with ledger.process_refund.';
        END IF;
        UPDATE ledger.payments AS p
           SET refunded_amount = p.refunded_amount + OLD.amount,
               fee_refunded = p.fee_refunded + NEW.platform_fee_refunded,
               status = CASE WHEN p.refunded_amount + OLD.amount = p.amount THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END
         WHERE p.id = OLD.payment_id;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_refunds__lifecycle() IS 'Refunds move only PENDING -> APPROVED -> PROCESSING -> COMPLETED, or to FAILED before completion (LG102); a new refund reserves its amount on the locked payment row and is refused past the captured amount (LG103); completion needs its REFUND transaction and moves the payment to PARTIALLY_REFUNDED or REFUNDED.';

CREATE OR REPLACE TRIGGER _100_lifecycle
    BEFORE INSERT OR UPDATE ON ledger.refunds
    FOR EACH ROW EXECUTE FUNCTION ledger_private.tg_refunds__lifecycle();
COMMENT ON TRIGGER _100_lifecycle ON ledger.refunds IS 'Enforces the refund state machine and the captured-amount limit, whoever writes the row.';

CREATE OR REPLACE TRIGGER _010_no_delete
    BEFORE DELETE OR TRUNCATE ON ledger.refunds
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_delete ON ledger.refunds IS 'Refunds are never deleted (LG012).';
