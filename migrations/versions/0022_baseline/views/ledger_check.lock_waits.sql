CREATE OR REPLACE VIEW ledger_check.lock_waits AS
SELECT w.pid AS waiting_pid,
       w.usename AS waiting_user,
       pg_blocking_pids(w.pid) AS blocking_pids,
       now() - w.query_start AS waiting_for,
       l.locktype,
       CASE
           WHEN po.order_ref IS NOT NULL THEN 'payout of ' || po.order_ref
           WHEN l.locktype = 'advisory' AND l.classid = 19527 THEN 'ledgerguard migration'
           WHEN held.relation = 'ledger.wallet_buckets'::regclass THEN 'wallet ' || wallet.code
           WHEN held.relation IS NOT NULL THEN held.relation::regclass::text
           WHEN l.relation IS NOT NULL THEN l.relation::regclass::text
           ELSE l.locktype
       END AS waiting_on,
       left(w.query, 200) AS query
  FROM pg_catalog.pg_stat_activity AS w
  JOIN pg_catalog.pg_locks AS l ON l.pid = w.pid AND NOT l.granted
  -- A row-lock waiter holds the tuple lock of the row it waits for: decode it.
  LEFT JOIN pg_catalog.pg_locks AS held ON held.pid = w.pid AND held.granted AND held.locktype = 'tuple'
  LEFT JOIN LATERAL (SELECT wl.code FROM ledger.wallet_buckets AS b JOIN ledger.wallets AS wl ON wl.id = b.wallet_id
                      WHERE held.relation = 'ledger.wallet_buckets'::regclass
                        AND b.ctid = format('(%s,%s)', held.page, held.tuple)::tid) AS wallet ON true
  -- A payout lock: a bigint advisory key whose low half is an order's dense
  -- key and whose high half is that order's keyed tag, recomputed here as
  -- ledger_private.payout_lock_key does (the view reads the secret as its
  -- owner; a function would run with the caller's rights, and on-call may
  -- not compute keys). tests/test_checks.py fails if the two ever differ.
  LEFT JOIN ledger_private.lock_secret AS ls ON l.locktype = 'advisory' AND l.objsubid = 1
  LEFT JOIN ledger.payout_orders AS po
    ON ls.secret IS NOT NULL AND l.objid::text::bigint <= 2147483647
   AND po.lock_key = l.objid::text::bigint::integer
   AND ('x' || encode(substr(sha256(ls.secret || int4send(po.lock_key)), 1, 4), 'hex'))::bit(32)::bigint
       = l.classid::text::bigint
 WHERE w.datname = current_database();
COMMENT ON VIEW ledger_check.lock_waits IS 'Who waits on what right now, decoded: payout advisory locks to their order ref, wallet bucket row locks to the wallet code; with the blocking pids and how long. For incidents.';
COMMENT ON COLUMN ledger_check.lock_waits.waiting_pid IS 'Backend that waits.';
COMMENT ON COLUMN ledger_check.lock_waits.waiting_user IS 'Its user.';
COMMENT ON COLUMN ledger_check.lock_waits.blocking_pids IS 'Backends it waits for.';
COMMENT ON COLUMN ledger_check.lock_waits.waiting_for IS 'How long its statement has been running.';
COMMENT ON COLUMN ledger_check.lock_waits.locktype IS 'pg_locks.locktype of the lock it waits for.';
COMMENT ON COLUMN ledger_check.lock_waits.waiting_on IS 'What the lock protects: "payout of <order>", "wallet <code>", a relation.';
COMMENT ON COLUMN ledger_check.lock_waits.query IS 'Start of the waiting query.';
GRANT SELECT ON ledger_check.lock_waits TO ledger_oncall, ledger_auditor;
