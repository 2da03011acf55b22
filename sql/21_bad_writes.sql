--
-- Bad input to writes: empty, NULL and oversized keys in UPDATE, DELETE and
-- INSERT ... ON CONFLICT; NULLs Pegasus cannot store; increments of values
-- that are not integers or would overflow; statements with one bad row.
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_bad_writes', 4);
CREATE FOREIGN TABLE w (hash_key text, sort_key text, value bigint)
  SERVER pegasus OPTIONS (table 'regress_bad_writes');
CREATE FOREIGN TABLE wt (hash_key text, sort_key text, value text)
  SERVER pegasus OPTIONS (table 'regress_bad_writes');
CREATE FUNCTION pg_temp.rpcs() RETURNS bigint LANGUAGE sql AS
  $$SELECT rpcs_sent FROM pegasus_fdw_connections() WHERE server_name = 'pegasus'$$;

INSERT INTO w VALUES ('a', 'n', 1), ('a', 'max', 9223372036854775807);
INSERT INTO wt VALUES ('a', 'word', 'abc'), ('a', 'empty', ''), ('a', 'space', ' 5');

-- writes addressed by an empty, NULL or oversized hash key match nothing
-- and send nothing
SELECT pg_temp.rpcs() AS mark \gset
UPDATE w SET value = value + 1 WHERE hash_key = '' AND sort_key = 'n';
\echo :ROW_COUNT
UPDATE w SET value = 5 WHERE hash_key = '' AND sort_key = 'n';
\echo :ROW_COUNT
UPDATE w SET value = 5 WHERE hash_key = NULL;
\echo :ROW_COUNT
DELETE FROM w WHERE hash_key = '' AND sort_key = 'n';
\echo :ROW_COUNT
DELETE FROM w WHERE hash_key = '';
\echo :ROW_COUNT
DELETE FROM w WHERE hash_key IN ('', NULL);
\echo :ROW_COUNT
DELETE FROM w WHERE hash_key = repeat('x', 65535);
\echo :ROW_COUNT
UPDATE w SET value = value + 1 WHERE hash_key = repeat('x', 65535) AND sort_key = 'n';
\echo :ROW_COUNT
SELECT pg_temp.rpcs() - :mark AS rpcs_sent;

-- keys and values Pegasus cannot store are refused before sending
INSERT INTO w VALUES ('', 'n', 1) ON CONFLICT DO NOTHING;  -- ERROR
INSERT INTO w VALUES (repeat('x', 65535), 'n', 1) ON CONFLICT DO NOTHING;  -- ERROR
INSERT INTO w VALUES ('a', NULL, 1) ON CONFLICT DO NOTHING;  -- ERROR
UPDATE w SET hash_key = '' WHERE hash_key = 'a' AND sort_key = 'n';  -- ERROR
UPDATE w SET sort_key = NULL WHERE hash_key = 'a' AND sort_key = 'n';  -- ERROR
UPDATE w SET value = NULL WHERE hash_key = 'a' AND sort_key = 'n';  -- ERROR
\echo :LAST_ERROR_SQLSTATE
SELECT sort_key, value FROM w WHERE hash_key = 'a' AND sort_key IN ('n', 'max') ORDER BY 1;
-- ON CONFLICT needs no conflict target and cannot update
INSERT INTO w VALUES ('a', 'n', 7) ON CONFLICT (hash_key) DO NOTHING;  -- ERROR
INSERT INTO w VALUES ('a', 'n', 7) ON CONFLICT (hash_key, sort_key) DO UPDATE SET value = 8;  -- ERROR

-- increments of stored values that are not integers, or would overflow,
-- are refused and change nothing
UPDATE w SET value = value + 1 WHERE hash_key = 'a' AND sort_key = 'word';  -- ERROR
UPDATE w SET value = value + 1 WHERE hash_key = 'a' AND sort_key = 'max';  -- ERROR
UPDATE w SET value = value - 1 WHERE hash_key = 'a' AND sort_key = 'max';
\echo :ROW_COUNT
UPDATE w SET value = value + 1 WHERE hash_key = 'a' AND sort_key = 'max';
\echo :ROW_COUNT
SELECT sort_key, value FROM wt WHERE hash_key = 'a' ORDER BY 1;
-- an empty stored value counts as 0 for Pegasus; SQL cannot read it as bigint
UPDATE w SET value = value + 2 WHERE hash_key = 'a' AND sort_key = 'empty';
\echo :ROW_COUNT
SELECT value FROM w WHERE hash_key = 'a' AND sort_key = 'empty';

-- a statement with one bad row writes none of the rows before it
INSERT INTO wt VALUES ('m', '1', 'a'), ('m', '2', 'b'), ('', '3', 'c'), ('m', '4', 'd');  -- ERROR
INSERT INTO wt VALUES ('m', '1', 'a'), ('m', '2', NULL);  -- ERROR
SELECT count(*) FROM wt WHERE hash_key = 'm';
COPY wt FROM stdin;  -- ERROR
c	1	a
c	2	b
	3	c
c	4	d
\.
SELECT count(*) FROM wt WHERE hash_key = 'c';

-- large values: one request per row keeps each write under the cluster's
-- write size limit (1 MiB by default)
ALTER FOREIGN TABLE wt OPTIONS (ADD batch_size '1');
INSERT INTO wt SELECT 'big', 's' || i, repeat('v', 400000) FROM generate_series(1, 3) i;
SELECT sort_key, length(value) FROM wt WHERE hash_key = 'big' ORDER BY 1;
DELETE FROM wt WHERE hash_key = 'big';
\echo :ROW_COUNT
SELECT count(*) FROM wt WHERE hash_key = 'big';

DROP FOREIGN TABLE w, wt;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_bad_writes');
