--
-- IMPORT FOREIGN SCHEMA and the connection functions
--
SELECT pegasus_fdw_create_table('pegasus', 'regress_import_a', 2);
SELECT pegasus_fdw_create_table('pegasus', 'regress_import_b', 2);
SELECT table_name, partition_count FROM pegasus_fdw_list_tables('pegasus')
  WHERE table_name LIKE 'regress_import%' ORDER BY 1;

CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA whatever LIMIT TO (regress_import_a, regress_kv)
  FROM SERVER pegasus INTO imported;
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imported' ORDER BY 1;
\d imported.regress_kv
SELECT count(*) FROM imported.regress_kv;
SELECT sort_key, value FROM imported.regress_kv WHERE hash_key = 'h1' AND sort_key = 's011';
CREATE SCHEMA imported2;
IMPORT FOREIGN SCHEMA whatever EXCEPT (regress_import_a, regress_kv)
  FROM SERVER pegasus INTO imported2;
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imported2' AND foreign_table_name LIKE 'regress%' ORDER BY 1;
DROP SCHEMA imported, imported2 CASCADE;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_import_a');
SELECT pegasus_fdw_drop_table('pegasus', 'regress_import_b');
SELECT pegasus_fdw_drop_table('pegasus', 'regress_import_b');  -- ERROR

-- connections: cached per server and reused
SELECT pegasus_fdw_disconnect_all();
SELECT count(*) FROM pegasus_fdw_connections();
SELECT count(*) FROM kv WHERE hash_key = 'h1';
SELECT server_name, tables, valid, rpcs_sent > 0 AS used FROM pegasus_fdw_connections();
-- an option change takes effect at the next statement
ALTER SERVER pegasus OPTIONS (ADD timeout_ms '3000');
SELECT server_name, valid FROM pegasus_fdw_connections();
SELECT count(*) FROM kv WHERE hash_key = 'h1';
SELECT server_name, valid FROM pegasus_fdw_connections();
ALTER SERVER pegasus OPTIONS (DROP timeout_ms);
SELECT count(*) FROM kv WHERE hash_key = 'h2';
SELECT pegasus_fdw_disconnect('pegasus');
SELECT pegasus_fdw_disconnect('pegasus');
SELECT count(*) FROM pegasus_fdw_connections();
SELECT pegasus_fdw_disconnect('no_such_server');  -- ERROR

-- a wrong table name is reported at the next statement after ALTER
ALTER FOREIGN TABLE kv OPTIONS (SET table 'no_such_table');
SELECT count(*) FROM kv;  -- ERROR
ALTER FOREIGN TABLE kv OPTIONS (SET table 'regress_kv');
SELECT count(*) FROM kv;

-- ANALYZE samples the table
ANALYZE kv;
SELECT reltuples FROM pg_class WHERE relname = 'kv';
