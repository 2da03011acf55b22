/* pegasus_fdw--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pegasus_fdw UPDATE TO '1.1'" to load this file. \quit

-- Statistics of Pegasus calls, one row per (server, Pegasus table,
-- operation).  scope is 'cluster' when the counts are shared by every
-- backend, 'backend' when they are this backend's only (PostgreSQL 15 and
-- 16 without shared_preload_libraries = 'pegasus_fdw').
CREATE FUNCTION pegasus_fdw_stats(
    OUT server_name text,
    OUT table_name text,
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

CREATE VIEW pegasus_fdw_stats AS
  SELECT * FROM pegasus_fdw_stats();

-- Forgets the statistics of one server, or of all (NULL).
CREATE FUNCTION pegasus_fdw_stats_reset(server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION pegasus_fdw_stats_reset(name) FROM PUBLIC;

-- The routing of a Pegasus table as this backend last fetched it.
CREATE FUNCTION pegasus_fdw_partitions(server name, "table" text,
    OUT partition_index integer,
    OUT primary_replica text,
    OUT secondaries text[],
    OUT ballot bigint,
    OUT registered boolean,
    OUT partition_count integer,
    OUT split_state text,
    OUT routing_stale boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
