-- ward demo, step 4 (database ehr): who may touch what. Most access goes
-- through group roles; a few grants are the kind of shortcut a scan should
-- find (ALL on a PHI schema, a PHI log readable by PUBLIC, direct grants to
-- a contractor).

\set ON_ERROR_STOP on

SET ROLE ehr_owner;

-- Reference data is not PHI and is readable by everyone.
GRANT USAGE ON SCHEMA reference TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA reference TO PUBLIC;

-- Clinical: readers read everything; writers got ALL (DELETE and TRUNCATE
-- included) although the application never deletes.
GRANT USAGE ON SCHEMA clinical TO clinical_read;
GRANT SELECT ON ALL TABLES IN SCHEMA clinical TO clinical_read;
GRANT ALL ON ALL TABLES IN SCHEMA clinical TO clinical_write;
ALTER DEFAULT PRIVILEGES IN SCHEMA clinical GRANT SELECT ON TABLES TO clinical_read;
ALTER DEFAULT PRIVILEGES IN SCHEMA clinical GRANT ALL ON TABLES TO clinical_write;

-- Billing.
GRANT USAGE ON SCHEMA billing TO billing_read;
GRANT SELECT ON ALL TABLES IN SCHEMA billing TO billing_read;
GRANT INSERT, UPDATE ON billing.claim, billing.invoice TO billing_rw;

-- Reporting reads encounters and diagnoses for the dashboards (it never
-- does: the dashboards read the analytics database).
GRANT USAGE ON SCHEMA clinical TO reporting_read;
GRANT SELECT ON clinical.encounter, clinical.diagnosis TO reporting_read;

-- Interface engine: writes its message log and looks patients up. It was
-- given the whole patient table although it needs only mrn and patient_id.
GRANT USAGE ON SCHEMA integration TO integration_rw;
GRANT SELECT, INSERT, UPDATE ON integration.hl7_message_log TO integration_rw;
GRANT USAGE ON SCHEMA clinical TO integration_rw;
GRANT SELECT ON clinical.patient TO integration_rw;
-- "So the monitoring dashboard can count messages": raw HL7 holds names,
-- dates of birth and SSNs, and now every login can read it.
GRANT SELECT ON integration.hl7_message_log TO PUBLIC;
GRANT USAGE ON SCHEMA integration TO PUBLIC;

-- ETL: looks patients up by MRN (a column grant, done right) and appends
-- lab results.
GRANT USAGE ON SCHEMA clinical TO etl_loader;
GRANT SELECT (patient_id, mrn) ON clinical.patient TO etl_loader;
GRANT INSERT ON clinical.lab_result TO etl_loader;

-- The contractor's grants were made to the login directly, for a data
-- migration that ended, and include the SSN column.
GRANT USAGE ON SCHEMA clinical TO contractor_jsmith;
GRANT SELECT (patient_id, mrn, full_name, dob, ssn) ON clinical.patient TO contractor_jsmith;
GRANT SELECT ON clinical.encounter, clinical.diagnosis TO contractor_jsmith;
GRANT SELECT, UPDATE ON clinical.medication_order TO contractor_jsmith;

RESET ROLE;

-- The scanner may read the parsed pg_hba.conf (superuser-only by default).
-- These grants live in each database; the scanner connects to ehr.
GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_scanner;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO ward_scanner;
