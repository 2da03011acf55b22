--
-- Differential test of writes: the same random sequence of INSERT, UPDATE
-- and DELETE statements applied to a local table and to a Pegasus table
-- must leave the same rows and report the same row counts
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_w13', 8);
CREATE FOREIGN TABLE w13 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus OPTIONS (table 'regress_w13', batch_size '7');
CREATE TABLE w13_local (hash_key text COLLATE "C", sort_key text COLLATE "C", value text,
                        PRIMARY KEY (hash_key, sort_key));

-- Runs steps random statements on both tables; returns the statements whose
-- row counts differed.  Pegasus overwrites on INSERT, so the local table
-- upserts; keys moved by UPDATE get a suffix that no other row has.
CREATE FUNCTION w13_run(steps int) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  i int;
  op int;
  h text;
  h2 text;
  s text;
  v text;
  remote_sql text;
  local_sql text;
  n_remote bigint;
  n_local bigint;
BEGIN
  FOR i IN 1 .. steps LOOP
    op := (random() * 10)::int;
    h := chr(97 + (random() * 4)::int) || (random() * 2)::int;
    h2 := chr(97 + (random() * 4)::int) || (random() * 2)::int;
    s := lpad((random() * 30)::int::text, 2, '0');
    v := md5(random()::text);
    CASE op
      WHEN 0 THEN
        remote_sql := format('INSERT INTO @T@ VALUES (%L, %L, %L)', h, s, v);
        local_sql := remote_sql || ' ON CONFLICT (hash_key, sort_key) DO UPDATE SET value = EXCLUDED.value';
      WHEN 1 THEN
        remote_sql := format('INSERT INTO @T@ VALUES (%L, %L, %L) ON CONFLICT DO NOTHING', h, s, v);
        local_sql := remote_sql;
      WHEN 2 THEN
        remote_sql := format('UPDATE @T@ SET value = %L WHERE hash_key = %L AND sort_key = %L', v, h, s);
        local_sql := remote_sql;
      WHEN 3 THEN
        remote_sql := format('UPDATE @T@ SET value = value || %L WHERE hash_key = %L', left(v, 2), h);
        local_sql := remote_sql;
      WHEN 4 THEN
        remote_sql := format('UPDATE @T@ SET sort_key = sort_key || %L WHERE hash_key = %L AND sort_key <= %L',
                             'm' || i, h, s);
        local_sql := remote_sql;
      WHEN 5 THEN
        remote_sql := format('UPDATE @T@ SET hash_key = %L WHERE hash_key = %L AND sort_key < %L',
                             h2 || 'm' || i, h, s);
        local_sql := remote_sql;
      WHEN 6 THEN
        remote_sql := format('DELETE FROM @T@ WHERE hash_key = %L', h);
        local_sql := remote_sql;
      WHEN 7 THEN
        remote_sql := format('DELETE FROM @T@ WHERE hash_key = %L AND sort_key >= %L', h, s);
        local_sql := remote_sql;
      WHEN 8 THEN
        remote_sql := format('DELETE FROM @T@ WHERE hash_key LIKE %L AND value LIKE %L',
                             left(h, 1) || '%', '%' || left(v, 1) || '%');
        local_sql := remote_sql;
      ELSE
        remote_sql := format('INSERT INTO @T@ SELECT %L || (g %% 3), lpad(g::text, 2, ''0''), %L || g FROM generate_series(%s, %s) g',
                             h, left(v, 4), (random() * 10)::int, 10 + (random() * 20)::int);
        local_sql := remote_sql || ' ON CONFLICT (hash_key, sort_key) DO UPDATE SET value = EXCLUDED.value';
    END CASE;
    EXECUTE replace(remote_sql, '@T@', 'w13');
    GET DIAGNOSTICS n_remote = ROW_COUNT;
    EXECUTE replace(local_sql, '@T@', 'w13_local');
    GET DIAGNOSTICS n_local = ROW_COUNT;
    IF n_remote <> n_local THEN
      RETURN NEXT format('%s: %s rows in Pegasus, %s locally', replace(remote_sql, '@T@', 'w13'),
                         n_remote, n_local);
    END IF;
  END LOOP;
END $$;

CREATE FUNCTION w13_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM (SELECT * FROM w13 EXCEPT ALL SELECT * FROM w13_local) a) +
         (SELECT count(*) FROM (SELECT * FROM w13_local EXCEPT ALL SELECT * FROM w13) b)
$$;

SELECT setseed(0.25);
SELECT * FROM w13_run(150);
SELECT w13_diff() AS differing_rows, (SELECT count(*) FROM w13_local) > 50 AS enough_rows;
SELECT setseed(0.5);
SELECT * FROM w13_run(150);
SELECT w13_diff() AS differing_rows;
-- the same with batch_size 1 (every write on its own)
ALTER FOREIGN TABLE w13 OPTIONS (SET batch_size '1');
SELECT setseed(0.75);
SELECT * FROM w13_run(150);
SELECT w13_diff() AS differing_rows;
-- the whole table through the scan, compared by key
SELECT count(*) AS rows, count(DISTINCT hash_key) > 5 AS many_hash_keys FROM w13_local;

DROP FUNCTION w13_run(int), w13_diff();
DROP TABLE w13_local;
DROP FOREIGN TABLE w13;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_w13');
