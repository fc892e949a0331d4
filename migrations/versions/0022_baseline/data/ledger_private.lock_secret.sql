-- 32 random bytes (two random UUIDs, 244 random bits), drawn once per database.
INSERT INTO ledger_private.lock_secret (secret)
VALUES (uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));
