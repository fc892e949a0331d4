UPDATE ledger.settings SET description = CASE name
    WHEN 'ops.adjustment_approval_threshold' THEN 'Units (any currency) from which an adjustment or a reversal needs a second on-call user (maker-checker): what the call moves in one wallet plus what its user moved there alone within ops.adjustment_approval_window.'
    WHEN 'ops.adjustment_approval_window' THEN 'Window over which one on-call user''s own adjustments and reversals of one wallet add up towards ops.adjustment_approval_threshold (an interval).'
    END
 WHERE name IN ('ops.adjustment_approval_threshold', 'ops.adjustment_approval_window');
