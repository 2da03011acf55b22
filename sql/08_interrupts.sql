--
-- Cancel and statement_timeout interrupt a Pegasus scan cleanly, and the
-- cached client is usable afterwards.
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_slow', 2);
CREATE FOREIGN TABLE slow (hash_key text, sort_key text, value text)
  SERVER pegasus OPTIONS (table 'regress_slow', scan_rate_limit '20', fetch_size '5');
INSERT INTO slow SELECT 'h' || i, 's', 'v' || i FROM generate_series(1, 100) i;
-- 100 rows at 20 rows per second take 5 seconds
SET statement_timeout = '300ms';
SELECT count(value) FROM slow;  -- ERROR
RESET statement_timeout;
-- the next statements on the same connection work
SELECT count(value) FROM slow WHERE hash_key LIKE 'h1%';
SELECT value FROM slow WHERE hash_key = 'h42' AND sort_key = 's';
BEGIN;
SET LOCAL statement_timeout = '300ms';
SELECT count(value) FROM slow;  -- ERROR
ROLLBACK;
SELECT value FROM slow WHERE hash_key = 'h43' AND sort_key = 's';
DROP FOREIGN TABLE slow;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_slow');
