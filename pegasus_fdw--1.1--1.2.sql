/* pegasus_fdw--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pegasus_fdw UPDATE TO '1.2'" to load this file. \quit

-- Statistics of Pegasus calls, one row per (server, replica, operation):
-- the same calls as pegasus_fdw_stats, each counted under the replica
-- (host:port) of its last attempt.  A call that never reached a replica
-- (no route, a meta server down) is in pegasus_fdw_stats only.
CREATE FUNCTION pegasus_fdw_replica_stats(
    OUT server_name text,
    OUT replica text,
    OUT operation text,
    OUT calls bigint,
    OUT errors bigint,
    OUT retries bigint,
    OUT timeouts bigint,
    OUT records_sent bigint,
    OUT records_received bigint,
    OUT bytes_sent bigint,
    OUT bytes_received bigint,
    OUT total_time double precision,
    OUT max_time double precision,
    OUT mean_time double precision,
    OUT p50_time double precision,
    OUT p95_time double precision,
    OUT p99_time double precision,
    OUT last_error_code text,
    OUT last_error_message text,
    OUT last_error_time timestamptz,
    OUT stats_reset timestamptz,
    OUT scope text)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW pegasus_fdw_replica_stats AS
  SELECT * FROM pegasus_fdw_replica_stats();
