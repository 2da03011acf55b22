--
-- Write pipeline: several batches in flight when one fails.  The failed
-- batch is reported with what it wrote, and the later batches in flight
-- with what they wrote, so that the report adds up to the rows stored.
--
\getenv meta PEGASUS_TEST_META
CREATE SERVER pegasus_w16 FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER pegasus_w16;
SELECT pegasus_fdw_create_table('pegasus_w16', 'regress_w16', 4);
-- batches of 10 rows; every batch has hash keys of its own (b<batch>_<i>),
-- so no group waits for another and all four batches are sent at once
CREATE FOREIGN TABLE w16 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus_w16 OPTIONS (table 'regress_w16', batch_size '10');
INSERT INTO w16 VALUES ('warm', '1', 'x');
CREATE FUNCTION w16_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text;
  d text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RETURN m || E'\n' || regexp_replace(d, '127\.0\.0\.1:[0-9]+', 'HOST:PORT', 'g');
END $$;
CREATE VIEW w16_rows AS
  SELECT (i / 10)::text AS batch, 'b' || (i / 10) || '_' || (i % 5) AS hash_key,
         lpad(i::text, 2, '0') AS sort_key, 'v' || i AS value
  FROM generate_series(0, 39) i;

-- the first multi_set reaching each replica fails: those of the first batch
-- (each batch sent as soon as it is ready, so all four are in flight)
SET pegasus_fdw.write_round_batches = 1;
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * RPC_RRDB_RRDB_MULTI_PUT 1 ERR_INVALID_DATA" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w16_error($$INSERT INTO w16 SELECT hash_key, sort_key, value FROM w16_rows ORDER BY sort_key$$);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'
-- what is stored, per batch: the first batch lost its failed groups, the
-- later batches wrote every row, as the detail says
SELECT r.batch, count(w.hash_key) AS stored, count(*) AS rows
  FROM w16_rows r LEFT JOIN w16 w USING (hash_key, sort_key)
 GROUP BY r.batch ORDER BY r.batch;

-- in rounds (the default, eight batches) the later batches may still be
-- held when the first fails (then they are not written, and the detail says
-- so): either way the detail adds up to what is stored
RESET pegasus_fdw.write_round_batches;
DELETE FROM w16 WHERE hash_key LIKE 'b%';
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * RPC_RRDB_RRDB_MULTI_PUT 1 ERR_INVALID_DATA" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w16_error($$INSERT INTO w16 SELECT hash_key, sort_key, value FROM w16_rows ORDER BY sort_key$$) AS detail \gset
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'
SELECT substring(:'detail' FROM 'Of the 10 rows of this batch, [^.]*\.') AS this_batch;
SELECT n[1] + n[2] + n[3] AS later_rows, n[3] AS unknown,
       n[1] = (SELECT count(*) FROM w16_rows r JOIN w16 w USING (hash_key, sort_key)
               WHERE r.batch <> '0') AS written_as_stored
  FROM (SELECT regexp_match(:'detail', 'later batches in flight, (\d+) were written, (\d+) were not written and (\d+) may')::int[] AS n) m;

-- without faults, the same statement writes every row
DELETE FROM w16 WHERE hash_key LIKE 'b%';
INSERT INTO w16 SELECT hash_key, sort_key, value FROM w16_rows ORDER BY sort_key;
SELECT count(*) FROM w16 WHERE hash_key LIKE 'b%';
-- a later write to a key wins, also when the two writes are in different
-- batches in flight together (the second waits for the first)
INSERT INTO w16 SELECT 'same', 'k', 'v' || i FROM generate_series(1, 35) i;
SELECT value FROM w16 WHERE hash_key = 'same' AND sort_key = 'k';

-- the direct DELETE of one hash key: 40 keys in batches of 10; the batches
-- share no record, so all four multi_dels are in flight at once (writes
-- wait only for earlier writes of the same record); the first fails, the
-- later ones remove their rows, and the detail says so: 10 rows are left
INSERT INTO w16 SELECT 'big', lpad(i::text, 2, '0'), 'v' FROM generate_series(1, 40) i;
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * RPC_RRDB_RRDB_MULTI_REMOVE 1 ERR_INVALID_DATA" >&7; read -r -t 5 r <&7; echo "$r"'
SELECT w16_error($$DELETE FROM w16 WHERE hash_key = 'big'$$);
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'
SELECT count(*) FROM w16 WHERE hash_key = 'big';
-- and without faults every batch is removed
DELETE FROM w16 WHERE hash_key = 'big';
SELECT count(*) FROM w16 WHERE hash_key = 'big';

DROP VIEW w16_rows;
DROP FUNCTION w16_error(text);
DROP FOREIGN TABLE w16;
SELECT pegasus_fdw_drop_table('pegasus_w16', 'regress_w16');
DROP SERVER pegasus_w16 CASCADE;
