CREATE TABLE ledger.currencies (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    minor_units smallint NOT NULL CHECK (minor_units BETWEEN 0 AND 4),
    name        text NOT NULL
);
COMMENT ON TABLE ledger.currencies IS 'ISO 4217 currencies the ledger accepts; an amount with more decimals than minor_units is refused, never rounded.';
COMMENT ON COLUMN ledger.currencies.code IS 'ISO 4217 alphabetic code, e.g. USD.';
COMMENT ON COLUMN ledger.currencies.minor_units IS 'Decimals an amount may carry: USD 2, JPY 0, BHD 3.';
COMMENT ON COLUMN ledger.currencies.name IS 'Currency name.';
GRANT SELECT ON ledger.currencies TO ledger_app, ledger_oncall, ledger_auditor;
