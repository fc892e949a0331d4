CREATE OR REPLACE FUNCTION ledger_private.transaction_bucket(p_wallet_id bigint, p_bucket_count smallint)
RETURNS smallint
LANGUAGE sql
STABLE  -- one value for the whole database transaction; inlined where it is called
PARALLEL UNSAFE  -- pg_current_xact_id() assigns the transaction id
AS $$
    SELECT ((pg_current_xact_id()::text::bigint + p_wallet_id) % p_bucket_count)::smallint
$$;
COMMENT ON FUNCTION ledger_private.transaction_bucket(bigint, smallint) IS 'The balance bucket this database transaction moves when it credits a multi-bucket wallet (or debits one that may go negative): the same bucket for every posting of the transaction, so its row locks on one wallet never come in two orders; consecutive transactions take consecutive buckets, which spreads a hot wallet''s locks.';
