INSERT INTO ledger.settings (name, value, description) VALUES
    ('ops.adjustment_approval_window', '24 hours', 'Window over which one on-call user''s own adjustments of one wallet add up towards ops.adjustment_approval_threshold (an interval).'),
    ('payouts.lock_wait', '5 seconds', 'Longest payout_once waits for the lock of its order (an interval) before it refuses with LG206, which the caller retries.');
