-- Removes ledgerguard's jobs; pg_cron itself stays (other jobs may use it).
SELECT cron.unschedule(j.jobid) FROM cron.job AS j WHERE j.jobname IN ('ledgerguard-settlement', 'ledgerguard-reconciliation');
