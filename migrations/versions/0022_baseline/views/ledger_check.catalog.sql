CREATE OR REPLACE VIEW ledger_check.catalog AS
SELECT c.name, c.description, c.default_severity, c.replaces, c.windowed
  FROM (VALUES
    ('duplicate_payouts', 'Orders with more than one live payout.', 'CRITICAL', 'Payout anomaly runbook: "same order paid out more than once".', true),
    ('payout_keys_per_order', 'Orders with more than one net PAYOUT posting, under different idempotency keys.', 'CRITICAL', 'Payout anomaly runbook: "were different idempotency keys used for the same order?".', true),
    ('batch_and_manual_payout', 'Orders completed by both the settlement batch and a manual payout.', 'CRITICAL', 'Payout anomaly runbook: "was this part of the nightly settlement batch?".', true),
    ('unbalanced_transactions', 'Transactions whose legs do not sum to zero in a currency.', 'CRITICAL', 'Payments runbook, daily check 1 (ledger invariant) and alert 1.', true),
    ('orphaned_entries', 'Entries without their transaction; transactions without entries.', 'CRITICAL', 'Payments runbook, daily check 5 (orphaned ledger entries).', true),
    ('captured_without_entries', 'Captured payments with no ledger entries.', 'HIGH', 'Balance-discrepancy runbook: missing transaction (orphaned payments).', true),
    ('balance_mismatch', 'Wallets whose stored balance differs from their entries.', 'LOW..CRITICAL', 'Balance-discrepancy runbook, step 1 and the severity matrix; payments runbook balance audit.', true),
    ('broken_balance_chains', 'Entries whose balance_after is not the previous one plus the amount.', 'CRITICAL', 'Balance-discrepancy runbook, step 2 (transaction history with balance_after).', true),
    ('duplicate_references', 'One reference posted more than once to a wallet.', 'MEDIUM', 'Balance-discrepancy runbook: duplicate transaction (duplicate references).', true),
    ('duplicate_provider_refs', 'A provider ref on more than one payout of a merchant.', 'HIGH', 'Ledger-desync postmortem: backfill "identify duplicates" and AI-01.', true),
    ('payout_overreturns', 'Payouts whose corrections or returns credited the beneficiary more than the payout debited.', 'CRITICAL', 'Ledger-desync postmortem: the importer re-applies corrections from later events, and funds movement must stay correct.', true),
    ('provider_vs_internal', 'Provider-reported vs internal payout states and totals.', 'MEDIUM..HIGH', 'Ledger-desync postmortem: alert ledger_delta_gt_50 (payouts_sum vs provider_sum).', true),
    ('refunds_over_captured', 'Refunds adding up to more than the captured amount.', 'CRITICAL', 'Payments runbook, manual refund checklist.', true),
    ('settlement_refusals', 'Orders the settlement batch could not pay, and nothing paid since.', 'HIGH', 'Payout anomaly runbook: "was this part of the nightly settlement batch?" (the batch pays everyone it can).', true),
    ('stuck_payments', 'Payments INITIATED for longer than a day.', 'MEDIUM..HIGH', 'Payments runbook, daily check 2 and alert 2.', false),
    ('stuck_refunds', 'Refunds PROCESSING for longer than five minutes.', 'HIGH', 'Payments runbook, daily check 3 and the retry matrix (PROCESSING: wait, then investigate).', false),
    ('failure_spike', 'Spikes of failed payments or refunds.', 'MEDIUM', 'Payments runbook, daily check 4 and alert 3.', false),
    ('negative_balances', 'Wallets that may not go negative holding less than zero.', 'CRITICAL', 'Balance-discrepancy runbook: race condition on concurrent updates.', false),
    ('invalid_indexes', 'INVALID or unready ledger indexes, which enforce nothing.', 'CRITICAL', 'Ledger-desync postmortem: the CONCURRENTLY-built unique index.', false),
    ('disabled_triggers', 'Ledger triggers that are disabled.', 'CRITICAL', 'Every runbook: the invariants they rely on.', false),
    ('stale_payouts', 'Payouts not completed or failed within a day.', 'MEDIUM', 'Payout anomaly runbook: payout request history.', false),
    ('processing_disabled', 'Kill switches that are off.', 'LOW', 'Payments runbook: emergency stop of payment processing.', false)
  ) AS c (name, description, default_severity, replaces, windowed);
COMMENT ON VIEW ledger_check.catalog IS 'Every check ledger_check.run_all runs: one function ledger_check.<name>(p_since) each, with the runbook step it replaces.';
COMMENT ON COLUMN ledger_check.catalog.name IS 'Check and function name.';
COMMENT ON COLUMN ledger_check.catalog.description IS 'What a finding means.';
COMMENT ON COLUMN ledger_check.catalog.default_severity IS 'Severity of its findings (a range when it depends on thresholds).';
COMMENT ON COLUMN ledger_check.catalog.replaces IS 'The runbook step it replaces.';
COMMENT ON COLUMN ledger_check.catalog.windowed IS 'Whether it reads only the p_since window (false: it checks current state).';
GRANT SELECT ON ledger_check.catalog TO ledger_oncall, ledger_auditor;
