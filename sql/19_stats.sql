--
-- Statistics of Pegasus calls (pegasus_fdw_stats), their reset, and the
-- routing view (pegasus_fdw_partitions)
--
\getenv meta PEGASUS_TEST_META
CREATE SERVER pegasus_s19 FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta');
CREATE USER MAPPING FOR CURRENT_USER SERVER pegasus_s19;
SELECT pegasus_fdw_create_table('pegasus_s19', 'regress_s19', 4);
CREATE FOREIGN TABLE s19 (hash_key text COLLATE "C", sort_key text COLLATE "C", value text)
  SERVER pegasus_s19 OPTIONS (table 'regress_s19', fetch_size '1000');
INSERT INTO s19 SELECT 'h', lpad(i::text, 5, '0'), 'v' || i FROM generate_series(1, 2500) i;

-- the views' shapes
\d pegasus_fdw_stats
\d pegasus_fdw_replica_stats
-- the writes above were counted; a reset of this server forgets them
SELECT operation, sum(calls) > 0 AS counted, sum(records_sent) AS records_sent
  FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19' GROUP BY 1 ORDER BY 1;
SELECT pegasus_fdw_stats_reset('pegasus_s19');
SELECT count(*) FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19';
SELECT count(*) FROM pegasus_fdw_replica_stats WHERE server_name = 'pegasus_s19';

-- a get is one call
SELECT value FROM s19 WHERE hash_key = 'h' AND sort_key = '00007';
SELECT server_name, table_name, operation, calls, errors, retries, timeouts,
       records_sent, records_received, bytes_sent > 0 AS sent, bytes_received > 0 AS received,
       total_time > 0 AS timed, max_time >= p50_time AND p99_time <= max_time AS percentiles,
       last_error_code, stats_reset IS NOT NULL OR scope = 'backend' AS has_reset
  FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19';
-- and one call of the replica that answered it
SELECT operation, calls, errors, records_received, replica ~ '^127\.0\.0\.1:[0-9]+$' AS is_replica,
       replica IN (SELECT primary_replica FROM pegasus_fdw_partitions('pegasus_s19', 'regress_s19')) AS is_primary
  FROM pegasus_fdw_replica_stats WHERE server_name = 'pegasus_s19';
-- shared by every backend from 17 on, or with shared_preload_libraries
SELECT DISTINCT scope = CASE
    WHEN current_setting('server_version_num')::int >= 170000 THEN 'cluster'
    WHEN current_setting('shared_preload_libraries') LIKE '%pegasus_fdw%' THEN 'cluster'
    ELSE 'backend' END AS scope_as_expected
  FROM pegasus_fdw_stats();

-- a 2,500-record sort-key range with fetch_size 1000 is 3 calls
SELECT pegasus_fdw_stats_reset('pegasus_s19');
SELECT count(value) FROM s19 WHERE hash_key = 'h' AND sort_key >= '00000';
SELECT operation, calls, errors, records_received
  FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19';
-- the same calls per replica: one replica holds hash key 'h'
SELECT operation, count(*) AS replicas, sum(calls) AS calls, sum(records_received) AS records_received
  FROM pegasus_fdw_replica_stats WHERE server_name = 'pegasus_s19' GROUP BY 1;

-- counts not yet flushed show in this backend's view too
BEGIN;
SELECT value FROM s19 WHERE hash_key = 'h' AND sort_key = '00008';
SELECT value FROM s19 WHERE hash_key = 'h' AND sort_key = 'none';
SELECT operation, calls, records_received
  FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19' ORDER BY 1;
COMMIT;
SELECT operation, calls, records_received
  FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19' ORDER BY 1;

-- a failed call counts as an error, with its cause: the table is dropped
-- on the cluster (through another server) behind this client's back
CREATE SERVER pegasus_s19_admin FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta');
SELECT pegasus_fdw_stats_reset('pegasus_s19');
SELECT pegasus_fdw_drop_table('pegasus_s19_admin', 'regress_s19');
SELECT value FROM s19 WHERE hash_key = 'h' AND sort_key = '00007';  -- ERROR
SELECT operation, calls, errors, timeouts, last_error_code,
       last_error_message IS NOT NULL AS has_message,
       last_error_time > now() - interval '1 minute' AS recent
  FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19';

-- the whole reset, and who may call it
SELECT pegasus_fdw_stats_reset();
SELECT count(*) FROM pegasus_fdw_stats WHERE server_name = 'pegasus_s19';
SELECT has_function_privilege('public', 'pegasus_fdw_stats_reset(name)', 'execute');
SELECT pegasus_fdw_stats_reset('no_such_server');  -- ERROR

-- routing as this backend sees it
SELECT pegasus_fdw_create_table('pegasus_s19', 'regress_s19b', 4);
SELECT partition_index, primary_replica ~ '^127\.0\.0\.1:[0-9]+$' AS has_primary,
       ballot > 0 AS has_ballot, registered, partition_count, split_state,
       routing_stale, cardinality(secondaries) >= 0 AS has_secondaries
  FROM pegasus_fdw_partitions('pegasus_s19', 'regress_s19b') ORDER BY 1;
SELECT * FROM pegasus_fdw_partitions('pegasus_s19', 'no_such_table');  -- ERROR
SELECT * FROM pegasus_fdw_partitions('no_such_server', 'regress_s19b');  -- ERROR
SELECT pegasus_fdw_drop_table('pegasus_s19', 'regress_s19b');

-- the GUCs
SHOW pegasus_fdw.log_min_duration_ms;
SHOW pegasus_fdw.log_retries;
SHOW pegasus_fdw.track_calls;
-- with tracking off, calls are not counted
SET pegasus_fdw.track_calls = off;
SELECT pegasus_fdw_create_table('pegasus_s19', 'regress_s19c', 2);
CREATE FOREIGN TABLE s19c (hash_key text, sort_key text, value text)
  SERVER pegasus_s19 OPTIONS (table 'regress_s19c');
SELECT value FROM s19c WHERE hash_key = 'a' AND sort_key = 'b';
SELECT count(*) FROM pegasus_fdw_stats WHERE table_name = 'regress_s19c';
RESET pegasus_fdw.track_calls;
SELECT value FROM s19c WHERE hash_key = 'a' AND sort_key = 'b';
SELECT operation, calls FROM pegasus_fdw_stats WHERE table_name = 'regress_s19c';

DROP FOREIGN TABLE s19, s19c;
SELECT pegasus_fdw_drop_table('pegasus_s19', 'regress_s19c');
DROP USER MAPPING FOR CURRENT_USER SERVER pegasus_s19;
DROP SERVER pegasus_s19, pegasus_s19_admin;
