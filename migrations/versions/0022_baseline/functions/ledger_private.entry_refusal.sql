CREATE OR REPLACE FUNCTION ledger_private.entry_refusal(
    p_status text, p_freeze_mode text, p_frozen_until timestamptz, p_allow_negative boolean,
    p_amount numeric, p_balance_after numeric)
RETURNS text
LANGUAGE sql
STABLE
AS $$
    SELECT CASE
               WHEN p_status = 'CLOSED' THEN 'LG009'
               WHEN p_status = 'FROZEN' AND (p_frozen_until IS NULL OR p_frozen_until > now())
                    AND (p_freeze_mode = 'FULL' OR p_amount < 0) THEN 'LG008'
               -- Only a debit can breach the rule.
               WHEN NOT p_allow_negative AND p_amount < 0 AND p_balance_after < 0 THEN 'LG010'
           END
$$;
COMMENT ON FUNCTION ledger_private.entry_refusal(text, text, timestamptz, boolean, numeric, numeric) IS 'The one rule for whether a wallet takes an entry, from the state on its locked bucket row: LG009 when CLOSED, LG008 when FROZEN (FULL refuses everything, DEBITS refuses debits; a freeze past frozen_until has expired), LG010 when a debit leaves a wallet that may not go negative below zero; NULL when the entry is taken. ledger_private.refuse_entry raises it.';
