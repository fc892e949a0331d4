-- Before the baseline's downgrade (runs as the migrating role): a ledger that holds transactions is never
-- removed by a plain `downgrade -1` or `downgrade base`. Removing it on purpose takes `-x drop_data=yes`
-- (alembic) or `ledgerguard migrate --downgrade base --drop-data`, after a dump (README, "Backup and restore").
DO $keep$
BEGIN
    IF pg_catalog.to_regclass('ledger.transactions') IS NOT NULL AND EXISTS (SELECT FROM ledger.transactions) THEN
        RAISE EXCEPTION 'refusing to remove the ledger of database "%": it holds transactions', pg_catalog.current_database()
              USING ERRCODE = 'object_in_use',
                    DETAIL = 'A downgrade below the baseline drops the ledger''s schemas and every row in them.',
                    HINT = 'Dump it first (pg_dump -Fc), then downgrade with -x drop_data=yes (ledgerguard migrate --drop-data).';
    END IF;
END
$keep$;
