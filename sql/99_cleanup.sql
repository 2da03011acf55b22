--
-- Cleanup
--
DROP FOREIGN TABLE kv, kv_default;
SELECT pegasus_fdw_drop_table('pegasus', 'regress_kv');
DROP USER MAPPING FOR CURRENT_USER SERVER pegasus;
DROP SERVER pegasus CASCADE;
