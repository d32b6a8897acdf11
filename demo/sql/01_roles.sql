-- ward demo, step 1 (database postgres): the role estate and the databases.
--
-- A deliberately imperfect estate of a hospital's EHR database server, as
-- it tends to look after a few years: group roles for the application
-- tiers, service logins that use them (some over-privileged), a legacy
-- superuser integration, a contractor with direct grants, two DBAs, and the
-- minimally privileged login ward scans with.
--
-- Passwords come from psql variables (:'pw_<role>') that demo/cluster.sh
-- fills from .demo/secrets; every one of them contains FAKE.

\set ON_ERROR_STOP on

-- Group roles (NOLOGIN). Object ownership sits with ehr_owner, never with
-- a login.
CREATE ROLE ehr_owner NOLOGIN;
COMMENT ON ROLE ehr_owner IS 'owns the objects of the ehr database; used by DBAs through SET ROLE';
CREATE ROLE clinical_read NOLOGIN;
CREATE ROLE clinical_write NOLOGIN IN ROLE clinical_read;
CREATE ROLE billing_read NOLOGIN;
CREATE ROLE billing_rw NOLOGIN IN ROLE billing_read;
CREATE ROLE reporting_read NOLOGIN;
CREATE ROLE integration_rw NOLOGIN;
COMMENT ON ROLE clinical_read IS 'read access to the clinical schema (PHI)';
COMMENT ON ROLE clinical_write IS 'read/write access to the clinical schema (PHI)';
COMMENT ON ROLE reporting_read IS 'read access for BI dashboards';

-- EHR REST API: reaches PHI through its groups, capped connection pool.
CREATE ROLE ehr_api LOGIN PASSWORD :'pw_ehr_api' CONNECTION LIMIT 40
	IN ROLE clinical_write, billing_rw;
ALTER ROLE ehr_api SET statement_timeout = '30s';
COMMENT ON ROLE ehr_api IS 'service account: EHR REST API (ehr-api 2.x), k8s namespace ehr-prod';

-- Nightly ETL: owns the staging schema, loads lab results, feeds analytics.
-- Its session audit was switched off because the nightly load "flooded the
-- log": a blind spot on a login that writes PHI.
CREATE ROLE etl_loader LOGIN PASSWORD :'pw_etl_loader' CONNECTION LIMIT 4;
ALTER ROLE etl_loader SET pgaudit.log = 'none';
COMMENT ON ROLE etl_loader IS 'service account: nightly lab and analytics ETL';

-- BI dashboards: only through the reporting group.
CREATE ROLE bi_reporting LOGIN PASSWORD :'pw_bi_reporting' CONNECTION LIMIT 10
	IN ROLE reporting_read;

-- Backups: may read every table through the predefined role, and bypasses
-- row-level security so that pg_dump sees every clinical note.
CREATE ROLE backup_svc LOGIN BYPASSRLS PASSWORD :'pw_backup_svc' CONNECTION LIMIT 2
	IN ROLE pg_read_all_data;
COMMENT ON ROLE backup_svc IS 'service account: nightly pg_dump to the backup vault';

-- Streaming replica.
CREATE ROLE repl_svc LOGIN REPLICATION PASSWORD :'pw_repl_svc' CONNECTION LIMIT 5;
COMMENT ON ROLE repl_svc IS 'service account: streaming replication to the DR site';

-- HL7 interface engine: writes the message log, looks patients up.
CREATE ROLE hl7_integration LOGIN PASSWORD :'pw_hl7_integration' IN ROLE integration_rw;

-- Old lab interface that "needed" superuser in 2016 and still has it.
CREATE ROLE legacy_interface LOGIN SUPERUSER PASSWORD :'pw_legacy_interface';
COMMENT ON ROLE legacy_interface IS 'LabLink lab interface, decommission pending';

-- Fax gateway that was replaced; its password has expired but the login and
-- its grants are still there.
CREATE ROLE fax_gateway LOGIN PASSWORD :'pw_fax_gateway' VALID UNTIL '2024-12-31'
	IN ROLE clinical_read;

-- People.
CREATE ROLE contractor_jsmith LOGIN PASSWORD :'pw_contractor_jsmith' CONNECTION LIMIT 2;
COMMENT ON ROLE contractor_jsmith IS 'J. Smith (contractor, data migration project)';
CREATE ROLE dba_maria LOGIN SUPERUSER PASSWORD :'pw_dba_maria';
COMMENT ON ROLE dba_maria IS 'Maria (DBA team)';
CREATE ROLE dba_omar LOGIN CREATEROLE CREATEDB PASSWORD :'pw_dba_omar'
	IN ROLE pg_monitor, pg_signal_backend;
GRANT ehr_owner TO dba_omar;
COMMENT ON ROLE dba_omar IS 'Omar (DBA team)';

-- The scanner: exactly what ward needs and nothing more. Besides
-- pg_read_all_settings it gets SELECT on pg_hba_file_rules and EXECUTE on the
-- function behind it (granted per database in 04_grants.sql), and its
-- transactions are read-only by default.
CREATE ROLE ward_scanner LOGIN PASSWORD :'pw_ward_scanner' CONNECTION LIMIT 3
	IN ROLE pg_read_all_settings;
ALTER ROLE ward_scanner SET default_transaction_read_only = on;
COMMENT ON ROLE ward_scanner IS 'service account: ward security scanner (read-only)';

CREATE DATABASE ehr OWNER ehr_owner;
COMMENT ON DATABASE ehr IS 'electronic health record: PHI';
CREATE DATABASE analytics OWNER ehr_owner;
COMMENT ON DATABASE analytics IS 'reporting warehouse, refreshed nightly';
