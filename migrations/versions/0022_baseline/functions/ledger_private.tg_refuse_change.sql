CREATE OR REPLACE FUNCTION ledger_private.tg_refuse_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% on %.% is refused: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'LG012',
              DETAIL = format('%s.%s keeps history; rows are never updated, deleted or truncated (session user %s).',
                              TG_TABLE_SCHEMA, TG_TABLE_NAME, session_user),
              HINT = CASE TG_TABLE_NAME
                         WHEN 'wallets' THEN 'Close a wallet instead of deleting it.'
                         ELSE 'Correct the ledger with a new transaction: ledger_ops.reverse_transaction or ledger_ops.post_adjustment.'
                     END;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_refuse_change() IS 'Statement trigger that refuses UPDATE, DELETE or TRUNCATE with LG012; attached to every append-only table.';
