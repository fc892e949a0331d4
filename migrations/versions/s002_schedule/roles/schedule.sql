-- The runbooks' two nightly jobs, in the database with pg_cron (cron.timezone
-- is GMT): the settlement batch at 00:00 UTC pays the day that just ended;
-- the recorded reconciliation at 02:00 UTC checks all history.
DO $check$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed on this server'
            USING HINT = 'apt-get install postgresql-15-cron, or schedule the jobs with cron (see the README).';
    END IF;
    IF pg_catalog.current_setting('cron.database_name', true) IS DISTINCT FROM pg_catalog.current_database() THEN
        RAISE EXCEPTION 'pg_cron runs in database %, not in %', pg_catalog.current_setting('cron.database_name', true),
                        pg_catalog.current_database()
            USING HINT = 'Set shared_preload_libraries = ''pg_cron'' and cron.database_name to this database, then restart.';
    END IF;
END
$check$;
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT cron.schedule('ledgerguard-settlement', '0 0 * * *',
                     $job$SELECT ledger.run_settlement_batch(((now() AT TIME ZONE 'UTC') - interval '1 day')::date)$job$);
SELECT cron.schedule('ledgerguard-reconciliation', '0 2 * * *',
                     $job$SELECT ledger_ops.record_check_run(NULL)$job$);
