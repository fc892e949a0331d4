INSERT INTO ledger.settings (name, value, description) VALUES
    ('check.balance.medium_amount', '10', 'Balance discrepancy of one wallet: below this many units LOW, from it MEDIUM (runbook: R10).'),
    ('check.balance.pattern_wallets', '5', 'Wallets with a discrepancy from which it is a systematic pattern (CRITICAL); 2 or more are HIGH.'),
    ('check.stuck_payment_age', '24 hours', 'A payment INITIATED longer than this is stuck.'),
    ('check.stuck_payments_high_count', '10', 'Stuck payments from which the finding is HIGH (runbook alert 2).'),
    ('check.stuck_refund_age', '5 minutes', 'A refund PROCESSING longer than this is stuck.'),
    ('check.stale_payout_age', '24 hours', 'A payout PENDING or SUBMITTED longer than this has not reached the provider.'),
    ('check.failure_spike_window', '1 hour', 'Window of the failure-spike check.'),
    ('check.failure_spike_count', '5', 'Failed payments or refunds in the window from which it is a spike (runbook alert 3).'),
    ('check.provider_delta_high', '50', 'Provider-reported vs internal payout total difference from which the finding is HIGH (postmortem alert ledger_delta_gt_50).');
