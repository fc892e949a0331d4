-- The on-call procedures as on-call runs them (role ledger_oncall): ticketed, audited, once.
BEGIN;
SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('vendor:1', 'VENDOR', 'USD');
SELECT ledger.post_transaction('fund', 'TRANSFER', '[{"wallet":"card","amount":"-100.00"},{"wallet":"vendor:1","amount":"100.00"}]');
SELECT ledger.post_transaction('oops', 'TRANSFER', '[{"wallet":"card","amount":"-5.00"},{"wallet":"vendor:1","amount":"5.00"}]');
SET ROLE ledger_oncall;
SELECT plan(32);

-- freeze / unfreeze
SELECT is((ledger_ops.freeze_wallet('vendor:1', 'suspected fraud', 'INC-1')).after_state ->> 'status', 'FROZEN', 'freeze_wallet freezes');
SELECT is((SELECT performed_by FROM ledger.audit_log ORDER BY id DESC LIMIT 1), session_user::text, 'the audit row names the session user, not the definer');
SELECT throws_ok($$SELECT ledger_ops.freeze_wallet('vendor:1', 'again', 'INC-1')$$, 'LG302', NULL, 'freezing it the same way twice is refused');
SELECT lives_ok($$SELECT ledger_ops.freeze_wallet('vendor:1', 'chargebacks must land', 'INC-1', 'DEBITS')$$, 'the mode can change');
SELECT throws_ok($$SELECT ledger_ops.freeze_wallet('vendor:1', 'x', 'INC-1', 'PARTIAL')$$, 'LG015', NULL, 'an unknown mode is refused');
SELECT throws_ok($$SELECT ledger_ops.freeze_wallet('vendor:1', 'x', '  ')$$, 'LG301', NULL, 'no freeze without a ticket');
SELECT throws_ok($$SELECT ledger_ops.freeze_wallet('vendor:1', '', 'INC-1')$$, 'LG301', NULL, 'no freeze without a reason');
SELECT throws_ok($$SELECT ledger_ops.freeze_wallet('nobody', 'x', 'INC-1')$$, 'LG006', NULL, 'an unknown wallet is refused');
SELECT throws_ok($$SELECT ledger_ops.freeze_wallet('vendor:1', 'x', 'INC-1', 'FULL', now() - interval '1 hour')$$, 'LG015', NULL, 'an expiry in the past is refused');
SELECT lives_ok($$SELECT ledger_ops.unfreeze_wallet('vendor:1', 'cleared', 'INC-1')$$, 'unfreeze_wallet unfreezes');
SELECT throws_ok($$SELECT ledger_ops.unfreeze_wallet('vendor:1', 'cleared', 'INC-1')$$, 'LG302', NULL, 'unfreezing twice is refused');

-- suspend / resume payouts
SELECT is((ledger_ops.suspend_payouts('vendor:1', 'duplicate payout', 'INC-2')).after_state ->> 'status', 'SUSPENDED', 'suspend_payouts suspends, opening the account if needed');
SELECT throws_ok($$SELECT ledger_ops.suspend_payouts('vendor:1', 'again', 'INC-2')$$, 'LG302', NULL, 'suspending twice is refused');
SELECT is((ledger_ops.resume_payouts('vendor:1', 'recovered', 'INC-2')).after_state ->> 'status', 'ACTIVE', 'resume_payouts resumes');
SELECT throws_ok($$SELECT ledger_ops.resume_payouts('vendor:1', 'again', 'INC-2')$$, 'LG302', NULL, 'resuming twice is refused');

-- adjustments: always against SUSPENSE
SELECT is((ledger_ops.post_adjustment('vendor:1', 2.50, 'missing credit', 'INC-3')).after_state ->> 'status', 'EXECUTED', 'a small adjustment executes at once');
SELECT is(ledger.wallet_balance('vendor:1'), 107.50, 'the wallet is credited');
SELECT is(ledger.wallet_balance('SUSPENSE'), -2.50, 'and SUSPENSE takes the other side: never one-sided');
SELECT throws_ok($$SELECT ledger_ops.post_adjustment('vendor:1', 0.001, 'x', 'INC-3')$$, 'LG003', NULL, 'too many decimals are refused');
SELECT throws_ok($$SELECT ledger_ops.post_adjustment('vendor:1', 'NaN', 'x', 'INC-3')$$, 'LG002', NULL, 'NaN is refused');
SELECT throws_ok($$SELECT ledger_ops.post_adjustment('SUSPENSE', 1, 'x', 'INC-3')$$, 'LG015', NULL, 'SUSPENSE itself is not adjusted');
SELECT throws_ok($$SELECT ledger_ops.post_adjustment('vendor:1', -500, 'x', 'INC-3')$$, 'LG010', NULL, 'an adjustment respects the overdraft rule');
SELECT is((ledger_ops.post_adjustment('vendor:1', 5000, 'settlement correction', 'INC-4')).after_state ->> 'status', 'PENDING_APPROVAL', 'a large adjustment waits for a second on-call user');
SELECT throws_ok($$SELECT ledger_ops.post_adjustment('vendor:1', 5000, 'settlement correction', 'INC-4')$$, 'LG304', NULL, 'the maker cannot approve it');
SELECT is(ledger.wallet_balance('vendor:1'), 107.50, 'and nothing moved');

-- reversal: mirror legs, once
SELECT is((ledger_ops.reverse_transaction((SELECT id FROM ledger.transactions WHERE idempotency_key = 'oops'), 'posted twice', 'INC-5')).action,
          'reverse_transaction', 'reverse_transaction reverses');
SELECT is(ledger.wallet_balance('vendor:1'), 102.50, 'the mirror legs undo it');
SELECT throws_ok(format('SELECT ledger_ops.reverse_transaction(%s, %L, %L)', (SELECT id FROM ledger.transactions WHERE idempotency_key = 'oops'), 'again', 'INC-5'),
                 'LG303', NULL, 'never twice');
SELECT throws_ok($$SELECT ledger_ops.reverse_transaction(987654, 'x', 'INC-5')$$, 'LG018', NULL, 'an unknown transaction is refused');

-- nothing to do is an error, not a silent success
SELECT throws_ok($$SELECT ledger_ops.repair_wallet_balance('vendor:1', 'x', 'INC-6')$$, 'LG305', NULL, 'no repair without a discrepancy');
SELECT throws_ok($$SELECT ledger_ops.recover_duplicate_payout('order:none', 'x', 'INC-7')$$, 'LG305', NULL, 'no recovery without a payout');

SELECT is((SELECT count(*)::int FROM ledger.audit_log), 8, 'every action that acted is in the audit log, none that was refused');

SELECT * FROM finish();
ROLLBACK;
