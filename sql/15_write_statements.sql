--
-- Writes in other statement shapes: joins, partition routing, triggers,
-- views WITH CHECK OPTION, transactions
--
\getenv meta PEGASUS_TEST_META
SELECT pegasus_fdw_create_table('pegasus', 'regress_w15', 4);
CREATE FOREIGN TABLE w15 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_w15');
INSERT INTO w15 SELECT 'h' || (i % 3), lpad(i::text, 2, '0'), 'v' || i FROM generate_series(1, 30) i;

-- UPDATE ... FROM and DELETE ... USING a local table
CREATE TEMP TABLE w15_loc (h text, s text, v text);
INSERT INTO w15_loc VALUES ('h1', '01', 'joined'), ('h2', '02', 'joined2'), ('h9', '99', 'none');
UPDATE w15 SET value = l.v FROM w15_loc l WHERE w15.hash_key = l.h AND w15.sort_key = l.s
  RETURNING w15.*;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w15 get h2 02
DELETE FROM w15 USING w15_loc l WHERE w15.hash_key = l.h AND w15.sort_key = l.s RETURNING w15.*;
SELECT count(*) FROM w15;

-- a direct DELETE with a parameter
PREPARE w15_del(text) AS DELETE FROM w15 WHERE hash_key = $1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE w15_del('h0');
\set QUIET off
EXECUTE w15_del('h0');
\set QUIET on
DEALLOCATE w15_del;

-- ROLLBACK does not undo a write
BEGIN;
INSERT INTO w15 VALUES ('tx', '1', 'written');
ROLLBACK;
SELECT * FROM w15 WHERE hash_key = 'tx';
BEGIN;
SAVEPOINT a;
DELETE FROM w15 WHERE hash_key = 'tx';
ROLLBACK TO a;
SELECT count(*) FROM w15 WHERE hash_key = 'tx';
COMMIT;

-- a foreign table as a partition: routed INSERT (batched), COPY, row movement
CREATE TABLE w15_parted (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  PARTITION BY LIST (hash_key);
CREATE TABLE w15_parted_local PARTITION OF w15_parted FOR VALUES IN ('local');
ALTER TABLE w15_parted ATTACH PARTITION w15 FOR VALUES IN ('p1', 'p2', 'h1', 'h2', 'tx');
INSERT INTO w15_parted SELECT CASE WHEN i % 3 = 0 THEN 'local' ELSE 'p' || (i % 3) END,
                              lpad(i::text, 3, '0'), 'r' || i
  FROM generate_series(1, 300) i;
SELECT hash_key, count(*) FROM w15_parted GROUP BY 1 ORDER BY 1;
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w15 sortkey_count p2
INSERT INTO w15_parted VALUES ('p1', 'ret', 'x') RETURNING *;
COPY w15_parted FROM STDIN;
p2	copy	c
local	copy	c
\.
SELECT * FROM w15_parted WHERE sort_key = 'copy' ORDER BY 1;
UPDATE w15_parted SET hash_key = 'p2' WHERE hash_key = 'local' AND sort_key = '003';
SELECT * FROM w15_parted WHERE sort_key = '003';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w15 get p2 003
ALTER TABLE w15_parted DETACH PARTITION w15;
DROP TABLE w15_parted;

-- row triggers: a BEFORE trigger's changes are written; AFTER triggers
-- make rows go one by one
CREATE FUNCTION w15_mark() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.value := NEW.value || '+t'; RETURN NEW; END $$;
CREATE TRIGGER w15_mark BEFORE INSERT OR UPDATE ON w15 FOR EACH ROW EXECUTE FUNCTION w15_mark();
INSERT INTO w15 VALUES ('trg', '1', 'a'), ('trg', '2', 'b');
UPDATE w15 SET value = 'c' WHERE hash_key = 'trg' AND sort_key = '1';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w15 multi_get trg
DROP TRIGGER w15_mark ON w15;
CREATE FUNCTION w15_after() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN RAISE NOTICE 'deleted %', OLD.sort_key; RETURN NULL; END $$;
CREATE TRIGGER w15_after AFTER DELETE ON w15 FOR EACH ROW EXECUTE FUNCTION w15_after();
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM w15 WHERE hash_key = 'trg';
DELETE FROM w15 WHERE hash_key = 'trg';
DROP TRIGGER w15_after ON w15;
DROP FUNCTION w15_mark(), w15_after();

-- a view WITH CHECK OPTION: a row the view would not show is refused
-- before it is written
CREATE VIEW w15_ok AS SELECT * FROM w15 WHERE value LIKE 'ok%' WITH CHECK OPTION;
INSERT INTO w15_ok VALUES ('view', '1', 'ok1');
INSERT INTO w15_ok VALUES ('view', '2', 'bad');  -- ERROR
UPDATE w15_ok SET value = 'bad' WHERE hash_key = 'view';  -- ERROR
UPDATE w15_ok SET value = 'ok2' WHERE hash_key = 'view';
\! src/tools/pegasus-cli --meta "$PEGASUS_TEST_META" --table regress_w15 multi_get view
DROP VIEW w15_ok;

-- a cancel while a batch waits for its replies says what the batch did
\! bash -c 'for rpc in RPC_RRDB_RRDB_PUT RPC_RRDB_RRDB_MULTI_PUT; do exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo "fail * $rpc 100 noreply" >&7; read -r -t 5 r <&7; echo "$r"; exec 7>&-; done'
SET statement_timeout = '300ms';
INSERT INTO w15 SELECT 'cancel' || i, 's', 'v' FROM generate_series(1, 20) i;  -- ERROR
RESET statement_timeout;
\! bash -c 'exec 7<>/dev/tcp/127.0.0.1/${PEGASUS_TEST_CONTROL##*:}; echo clear-faults >&7; read -r -t 5 r <&7; echo "$r"'

-- a statement timeout stops a long INSERT and COPY between batches; the
-- connection is fine afterwards
SET statement_timeout = '300ms';
\set VERBOSITY terse
INSERT INTO w15 SELECT 'big' || i, 's', 'v' FROM generate_series(1, 2000000) i;  -- ERROR
COPY w15 FROM PROGRAM 'awk ''BEGIN { for (i = 0; i < 5000000; i++) printf "copy%d\ts\tv\n", i }''';  -- ERROR
\set VERBOSITY default
RESET statement_timeout;
INSERT INTO w15 VALUES ('after', '1', 'ok');
SELECT * FROM w15 WHERE hash_key = 'after';

DROP FOREIGN TABLE w15;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_w15');
