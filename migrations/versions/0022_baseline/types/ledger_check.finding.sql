CREATE TYPE ledger_check.finding AS (
    check_name text,
    severity   text,
    subject    text,
    amount     numeric,
    detail     jsonb,
    hint       text
);
COMMENT ON TYPE ledger_check.finding IS 'One row of a check: what is wrong (subject), how bad (LOW, MEDIUM, HIGH, CRITICAL), how much money, the evidence (detail) and what to do (hint).';
COMMENT ON COLUMN ledger_check.finding.check_name IS 'The check that found it (a row of ledger_check.catalog).';
COMMENT ON COLUMN ledger_check.finding.severity IS 'LOW, MEDIUM, HIGH or CRITICAL.';
COMMENT ON COLUMN ledger_check.finding.subject IS 'What it is about: an order, a wallet, a transaction, an index.';
COMMENT ON COLUMN ledger_check.finding.amount IS 'Money at stake, in the subject''s currency, when there is any.';
COMMENT ON COLUMN ledger_check.finding.detail IS 'The evidence, as JSON.';
COMMENT ON COLUMN ledger_check.finding.hint IS 'The next step for on-call.';
GRANT USAGE ON TYPE ledger_check.finding TO ledger_oncall, ledger_auditor;
