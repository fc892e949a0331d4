CREATE TABLE ledger.settings (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.]*$'),
    value       text NOT NULL,
    description text NOT NULL
);
COMMENT ON TABLE ledger.settings IS 'Tunable values of the ledger (default currency, hot-wallet buckets, check thresholds); read through ledger_private.setting().';
COMMENT ON COLUMN ledger.settings.name IS 'Setting name, lower case, dotted.';
COMMENT ON COLUMN ledger.settings.value IS 'Setting value as text; the reader casts it.';
COMMENT ON COLUMN ledger.settings.description IS 'What the setting controls and its unit.';
GRANT SELECT ON ledger.settings TO ledger_oncall, ledger_auditor;
