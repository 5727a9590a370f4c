-- PostgreSQL 15 side of Benchmarks/run-peers.sh: the account table and a plpgsql transfer function.
-- psql -v accounts=N -v balance=B -f postgres-bank.sql
CREATE TABLE account (id integer PRIMARY KEY, balance bigint NOT NULL);
INSERT INTO account SELECT id, :balance FROM generate_series(0, :accounts - 1) AS id;

-- Moves p_amount from p_from to p_to. Both rows are locked in id order (no deadlocks between
-- concurrent transfers). Returns false, changing nothing, when p_from holds less than p_amount
-- (pgbench 15 would abort a client on an error, so insufficient funds is a result, not an error).
CREATE FUNCTION transfer(p_from integer, p_to integer, p_amount bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    source_balance bigint;
    locked integer;
BEGIN
    IF p_amount <= 0 THEN
        RAISE EXCEPTION 'the amount must be positive (got %)', p_amount;
    END IF;
    SELECT count(*) INTO locked FROM (
        SELECT id FROM account WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE
    ) AS rows;
    IF locked <> (CASE WHEN p_from = p_to THEN 1 ELSE 2 END) THEN
        RAISE EXCEPTION 'no such account: % or %', p_from, p_to;
    END IF;
    SELECT balance INTO source_balance FROM account WHERE id = p_from;
    IF source_balance < p_amount THEN
        RETURN false;
    END IF;
    IF p_from <> p_to THEN
        UPDATE account SET balance = balance - p_amount WHERE id = p_from;
        UPDATE account SET balance = balance + p_amount WHERE id = p_to;
    END IF;
    RETURN true;
END
$$;

VACUUM ANALYZE account;
