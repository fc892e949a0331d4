INSERT INTO ledger.settings (name, value, description) VALUES
    ('ops.adjustment_approval_threshold', '1000', 'Adjustments of at least this many units (any currency) need a second on-call user (maker-checker).');
