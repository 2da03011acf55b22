/* pegasus_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pegasus_fdw" to load this file. \quit

CREATE FUNCTION pegasus_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION pegasus_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER pegasus_fdw
  HANDLER pegasus_fdw_handler
  VALIDATOR pegasus_fdw_validator;

-- Clients cached by this backend, one per foreign server, with counters.
CREATE FUNCTION pegasus_fdw_connections(
    OUT server_name text,
    OUT meta_servers text,
    OUT tables text,
    OUT valid boolean,
    OUT rpcs_sent bigint,
    OUT bytes_sent bigint,
    OUT bytes_received bigint,
    OUT rows_received bigint,
    OUT connects bigint,
    OUT routing_refreshes bigint,
    OUT user_name text)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE FUNCTION pegasus_fdw_disconnect(name)
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE FUNCTION pegasus_fdw_disconnect_all()
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- Table administration on the cluster of a foreign server.
CREATE FUNCTION pegasus_fdw_create_table(server name, "table" text,
                                         partitions integer DEFAULT 8)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION pegasus_fdw_drop_table(server name, "table" text)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION pegasus_fdw_list_tables(server name,
    OUT table_name text, OUT app_id integer, OUT partition_count integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;
