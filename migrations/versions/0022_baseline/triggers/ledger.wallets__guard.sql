CREATE OR REPLACE FUNCTION ledger_private.tg_wallets__guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_balance numeric;
BEGIN
    IF (NEW.id, NEW.code, NEW.kind, NEW.currency, NEW.allow_negative, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.id, OLD.code, OLD.kind, OLD.currency, OLD.allow_negative, OLD.created_at, OLD.created_by)
       OR NEW.bucket_count < OLD.bucket_count THEN
        RAISE EXCEPTION 'wallet "%": id, code, kind, currency, allow_negative and creation never change, and bucket_count only grows', OLD.code
            USING ERRCODE = 'LG016',
                  DETAIL = format('Old: %s. New: %s.',
                                  row(OLD.code, OLD.kind, OLD.currency, OLD.allow_negative, OLD.bucket_count),
                                  row(NEW.code, NEW.kind, NEW.currency, NEW.allow_negative, NEW.bucket_count)),
                  HINT = 'Create a new wallet and move the balance with a transaction instead.';
    END IF;
    IF OLD.status = 'CLOSED' AND NEW.status <> 'CLOSED' THEN
        RAISE EXCEPTION 'wallet "%" is CLOSED for good', OLD.code
            USING ERRCODE = 'LG009',
                  DETAIL = format('Wallet %s was closed at %s; it cannot become %s.', quote_literal(OLD.code), OLD.updated_at, NEW.status),
                  HINT = 'Create a new wallet.';
    END IF;
    IF NEW.status = 'CLOSED' AND OLD.status <> 'CLOSED' THEN
        SELECT sum(b.balance) INTO v_balance
          FROM (SELECT wb.balance FROM ledger.wallet_buckets AS wb
                 WHERE wb.wallet_id = OLD.id ORDER BY wb.bucket FOR UPDATE) AS b;
        IF v_balance <> 0 THEN
            RAISE EXCEPTION 'wallet "%" cannot close with a balance of % %', OLD.code, v_balance, OLD.currency
                USING ERRCODE = 'LG017',
                      DETAIL = format('Closing would strand %s %s in wallet %s.', v_balance, OLD.currency, quote_literal(OLD.code)),
                      HINT = 'Move the balance out with a transaction first, then close.';
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_wallets__guard() IS 'BEFORE UPDATE on ledger.wallets: identity, currency and overdraft rule never change (LG016); CLOSED is final (LG009) and needs a zero balance (LG017).';

CREATE OR REPLACE TRIGGER _100_guard
    BEFORE UPDATE ON ledger.wallets
    FOR EACH ROW EXECUTE FUNCTION ledger_private.tg_wallets__guard();
COMMENT ON TRIGGER _100_guard ON ledger.wallets IS 'Keeps a wallet''s identity immutable and its status changes legal.';
