--
-- Kerberos options: values, who may set credentials, and what a user
-- mapping without credentials gets (no network needed: these errors come
-- before any connection)
--
\getenv meta PEGASUS_TEST_META
CREATE EXTENSION IF NOT EXISTS pegasus_fdw;

CREATE SERVER krb_bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', auth 'ntlm');  -- ERROR
CREATE SERVER krb_bad FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers '127.0.0.1:1', auth 'kerberos', kerberos_service_name '');  -- ERROR
CREATE SERVER krb FOREIGN DATA WRAPPER pegasus_fdw
  OPTIONS (meta_servers :'meta', auth 'kerberos', kerberos_service_name 'pegasus',
           kerberos_service_fqdn 'localhost', timeout_ms '500');
CREATE USER MAPPING FOR CURRENT_USER SERVER krb
  OPTIONS (kerberos_principla 'alice');  -- ERROR, near miss
CREATE USER MAPPING FOR CURRENT_USER SERVER krb
  OPTIONS (kerberos_keytab '');  -- ERROR

-- a superuser sets credentials; a keytab needs a principal
CREATE USER MAPPING FOR CURRENT_USER SERVER krb
  OPTIONS (kerberos_keytab '/nonexistent/alice.keytab');
CREATE FOREIGN TABLE krb_t (hash_key text, sort_key text, value text) SERVER krb;
SELECT * FROM krb_t;  -- ERROR, no principal
ALTER USER MAPPING FOR CURRENT_USER SERVER krb OPTIONS (DROP kerberos_keytab);
SELECT * FROM krb_t;  -- ERROR, no credentials at all

-- a non-superuser may not set them, not even in its own mapping
CREATE ROLE regress_pegasus_krb_user;
GRANT USAGE ON FOREIGN SERVER krb TO regress_pegasus_krb_user;
GRANT SELECT ON krb_t TO regress_pegasus_krb_user;
SET ROLE regress_pegasus_krb_user;
CREATE USER MAPPING FOR CURRENT_USER SERVER krb
  OPTIONS (kerberos_ccache '/tmp/krb5cc_0');  -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER krb
  OPTIONS (kerberos_principal 'postgres');  -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER krb;
SELECT * FROM krb_t;  -- ERROR, never the server's own credentials
RESET ROLE;

DROP FOREIGN TABLE krb_t;
DROP SERVER krb CASCADE;
DROP ROLE regress_pegasus_krb_user;
