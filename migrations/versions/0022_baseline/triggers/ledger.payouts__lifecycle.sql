CREATE OR REPLACE FUNCTION ledger_private.tg_payouts__lifecycle()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_account ledger.payout_accounts;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- FOR SHARE: a suspension committing now waits for this payout, or this payout sees it.
        SELECT * INTO v_account FROM ledger.payout_accounts AS a WHERE a.id = NEW.payout_account_id FOR SHARE;
        IF v_account.status = 'SUSPENDED' THEN
            RAISE EXCEPTION 'payouts to "%" are suspended', NEW.merchant_ref
                USING ERRCODE = 'LG201',
                      DETAIL = format('Payout account %s is SUSPENDED: %s. Order %s was not paid.', v_account.id,
                                      coalesce(v_account.suspended_reason, 'no reason recorded'), NEW.order_ref),
                      HINT = 'On-call suspended it (see the audit log); ledger_ops.resume_payouts when the incident is closed.';
        END IF;
        IF NEW.status <> 'PENDING' OR NEW.completion_transaction_id IS NOT NULL OR NEW.return_transaction_id IS NOT NULL
           OR v_account.wallet_id <> NEW.beneficiary_wallet_id THEN
            RAISE EXCEPTION 'payout of order % must start PENDING, from its own payout account', NEW.order_ref
                USING ERRCODE = 'LG202', DETAIL = format('Inserted with status %s for account %s.', NEW.status, NEW.payout_account_id),
                      HINT = 'Create payouts with ledger.payout_once.';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.order_ref, NEW.payout_account_id, NEW.beneficiary_wallet_id, NEW.merchant_ref, NEW.currency, NEW.amount,
        NEW.source, NEW.idempotency_key, NEW.transaction_id, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.order_ref, OLD.payout_account_id, OLD.beneficiary_wallet_id, OLD.merchant_ref, OLD.currency,
                         OLD.amount, OLD.source, OLD.idempotency_key, OLD.transaction_id, OLD.created_by, OLD.created_at)
       OR (OLD.provider_ref IS NOT NULL AND NEW.provider_ref IS NULL)
       OR (OLD.settlement_batch_id IS NOT NULL AND NEW.settlement_batch_id IS DISTINCT FROM OLD.settlement_batch_id)
       OR (OLD.completion_transaction_id IS NOT NULL AND NEW.completion_transaction_id IS DISTINCT FROM OLD.completion_transaction_id)
       OR (OLD.return_transaction_id IS NOT NULL AND NEW.return_transaction_id IS DISTINCT FROM OLD.return_transaction_id) THEN
        RAISE EXCEPTION 'payout %: what was paid, to whom, and its postings never change; a known provider ref is never cleared', OLD.id
            USING ERRCODE = 'LG016', DETAIL = format('Payout %s of order %s for %s %s.', OLD.id, OLD.order_ref, OLD.amount, OLD.currency),
                  HINT = 'Provider corrections go through ledger.record_provider_event; mistakes are reversed, not edited.';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND (OLD.status, NEW.status) NOT IN (('PENDING', 'SUBMITTED'), ('PENDING', 'COMPLETED'), ('PENDING', 'FAILED'),
                                            ('PENDING', 'CANCELLED'), ('SUBMITTED', 'COMPLETED'), ('SUBMITTED', 'FAILED'),
                                            ('COMPLETED', 'FAILED')) THEN
        RAISE EXCEPTION 'payout % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'LG202',
                  DETAIL = format('Payout %s of order %s is %s.', OLD.id, OLD.order_ref, OLD.status),
                  HINT = CASE WHEN OLD.status IN ('FAILED', 'CANCELLED') THEN 'It is over: pay the order again with ledger.payout_once.'
                              ELSE 'A completed payout only fails when the provider returns it (ledger.record_provider_event).' END;
    END IF;
    IF NEW.status = 'COMPLETED' AND NEW.completion_transaction_id IS NULL
       OR NEW.status = 'FAILED' AND NEW.return_transaction_id IS NULL THEN
        RAISE EXCEPTION 'payout % cannot be % without its ledger transaction', OLD.id, NEW.status
            USING ERRCODE = 'LG202', DETAIL = 'Completion moves the money to the provider; failure returns it. Both are postings.',
                  HINT = 'Use ledger.complete_payout or ledger.fail_payout.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_payouts__lifecycle() IS 'Payouts start PENDING on an ACTIVE account (LG201 when SUSPENDED) and move only PENDING -> SUBMITTED -> COMPLETED, to FAILED / CANCELLED before completion, or COMPLETED -> FAILED when the provider returns it (LG202); COMPLETED and FAILED need their posting; terms, postings and a known provider ref never change (LG016).';

CREATE OR REPLACE TRIGGER _100_lifecycle
    BEFORE INSERT OR UPDATE ON ledger.payouts
    FOR EACH ROW EXECUTE FUNCTION ledger_private.tg_payouts__lifecycle();
COMMENT ON TRIGGER _100_lifecycle ON ledger.payouts IS 'Enforces the payout state machine and payout suspension, whoever writes the row.';

CREATE OR REPLACE TRIGGER _010_no_delete
    BEFORE DELETE OR TRUNCATE ON ledger.payouts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_delete ON ledger.payouts IS 'Payouts are never deleted (LG012).';
