#!/usr/bin/env bash
# workload.sh: drive a short, real workload through the demo's accounts so
# that the csv log holds connections, pgaudit rows, failed logins and one
# interactive session on a service account. Needs a running demo cluster
# (make demo-up); safe to run again to add more activity.
. "$(dirname "$0")/lib.sh"

load_cluster_env || die "no demo cluster in $DEMO_DIR; run make demo-up first"

# expect_login_failure ROLE PASSWORD APPNAME describes and makes a login that
# must be refused; the server logs it as a failed authentication.
expect_login_failure() {
	if PGPASSWORD="$2" PGAPPNAME="$3" "$PG_BIN/psql" -X -w -q -h 127.0.0.1 \
		-p "$DEMO_PORT" -U "$1" -d ehr -c 'SELECT 1' >/dev/null 2>&1; then
		warn "login as $1 should have been refused but succeeded"
	fi
}

say "workload: ehr_api (ehr-api/2.3.1) reads a chart and records a visit"
sql_as ehr_api ehr ehr-api/2.3.1 >/dev/null <<'SQL'
SELECT patient_id, mrn, full_name, dob, phone FROM clinical.patient WHERE mrn = 'DEMO000042';
SELECT e.encounter_id, e.encounter_type, e.admitted_at, d.icd10_code
FROM clinical.encounter e
JOIN clinical.patient p USING (patient_id)
LEFT JOIN clinical.diagnosis d USING (encounter_id)
WHERE p.mrn = 'DEMO000042'
ORDER BY e.admitted_at DESC LIMIT 5;
SELECT n.note_kind, n.body
FROM clinical.clinical_note n
JOIN clinical.encounter e USING (encounter_id)
WHERE e.patient_id = 42;
SELECT test_name, value_numeric, unit, abnormal_flag FROM clinical.lab_result WHERE patient_id = 42;
SQL
sql_as ehr_api ehr ehr-api/2.3.1 >/dev/null <<'SQL'
BEGIN;
INSERT INTO clinical.encounter (patient_id, facility_id, encounter_type, attending, admitted_at)
SELECT patient_id, 2, 'outpatient', 'Dr. Rosa Sample', now()
FROM clinical.patient WHERE mrn = 'DEMO000042'
RETURNING encounter_id AS visit \gset
INSERT INTO clinical.diagnosis (encounter_id, icd10_code) VALUES (:visit, 'I10');
INSERT INTO clinical.medication_order (encounter_id, drug_name, dose, route, frequency, ordered_by)
VALUES (:visit, 'lisinopril', '10 mg', 'oral', 'once daily', 'Dr. Rosa Sample');
INSERT INTO clinical.clinical_note (encounter_id, note_kind, body)
VALUES (:visit, 'progress', 'Demo note: blood pressure recheck in four weeks. (fake text)');
INSERT INTO billing.claim (encounter_id, payer_id, member_id, total_charge)
VALUES (:visit, 1, 'FAKEMBR0000042', 185.00);
UPDATE clinical.encounter SET discharged_at = now() WHERE encounter_id = :visit;
COMMIT;
SELECT billing.patient_balance('DEMO000042');
SQL

say "workload: etl_loader (lab-etl/1.4.0) copies a lab batch and refreshes analytics"
sql_as etl_loader ehr lab-etl/1.4.0 >/dev/null <<'SQL'
TRUNCATE staging.lab_result_load;
COPY staging.lab_result_load FROM STDIN (FORMAT csv);
B20261204,DEMO000007,4548-4,Hemoglobin A1c,7.4,%,2026-12-03 06:10:00+00
B20261204,DEMO000019,2345-7,Glucose,131,mg/dL,2026-12-03 06:12:00+00
B20261204,DEMO000042,2160-0,Creatinine,1.1,mg/dL,2026-12-03 06:15:00+00
B20261204,DEMO000077,718-7,Hemoglobin,12.9,g/dL,2026-12-03 06:20:00+00
\.
INSERT INTO clinical.lab_result
	(patient_id, loinc_code, test_name, value_numeric, unit, resulted_at, source_system)
SELECT p.patient_id, s.loinc_code, s.test_name, s.value_text::numeric, s.unit,
	s.resulted_at, 'lab-etl'
FROM staging.lab_result_load s
JOIN clinical.patient p ON p.mrn = s.mrn;
SQL
sql_as etl_loader analytics lab-etl/1.4.0 >/dev/null <<'SQL'
INSERT INTO reporting.encounter_daily VALUES (current_date, 'SPR-EAST', 'outpatient', 1)
ON CONFLICT (day, facility_code, encounter_type)
DO UPDATE SET encounters = reporting.encounter_daily.encounters + 1;
SQL

say "workload: bi_reporting (bi-dashboards/5.1) refreshes its dashboards"
sql_as bi_reporting analytics bi-dashboards/5.1 >/dev/null <<'SQL'
SELECT facility_code, sum(encounters) FROM reporting.encounter_daily
WHERE day > current_date - 30 GROUP BY facility_code;
SELECT payer, sum(claims), sum(charges) FROM reporting.payer_mix GROUP BY payer;
SELECT age_band, avg(readmitted_30d::int) FROM reporting.readmission_cohort GROUP BY age_band;
SQL
# A dashboard someone pointed at the patient table: refused (no privilege).
sql_as bi_reporting ehr bi-dashboards/5.1 -c \
	'SELECT full_name, ssn FROM clinical.patient LIMIT 10' >/dev/null 2>&1 || true

say "workload: hl7_integration (hl7-bridge/4.0.2) logs ADT messages"
sql_as hl7_integration ehr hl7-bridge/4.0.2 >/dev/null <<'SQL'
SELECT patient_id FROM clinical.patient WHERE mrn = 'DEMO000077';
INSERT INTO integration.hl7_message_log
	(message_type, control_id, sending_facility, patient_mrn, raw_message)
VALUES
	('ADT^A04', 'CTLW0000001', 'SPR-EAST', 'DEMO000077',
	 'MSH|^~\&|DEMO-ADT|SPR-EAST|EHR|SPR-MAIN|20261204||ADT^A04|CTLW0000001|P|2.5'),
	('ADT^A08', 'CTLW0000002', 'SPR-EAST', 'DEMO000077',
	 'MSH|^~\&|DEMO-ADT|SPR-EAST|EHR|SPR-MAIN|20261204||ADT^A08|CTLW0000002|P|2.5');
UPDATE integration.hl7_message_log SET processed = true
WHERE control_id IN ('CTLW0000001', 'CTLW0000002');
SQL

say "workload: legacy_interface (LabLink 6.2, superuser) polls new results"
sql_as legacy_interface ehr 'LabLink 6.2' >/dev/null <<'SQL'
SELECT r.result_id, p.mrn, r.test_name, r.value_numeric
FROM clinical.lab_result r JOIN clinical.patient p USING (patient_id)
WHERE r.resulted_at > now() - interval '2 days';
SQL

say "workload: backup_svc runs pg_dump"
PGPASSWORD="$(pw backup_svc)" PGAPPNAME=pg_dump "$PG_BIN/pg_dump" -w \
	-h 127.0.0.1 -p "$DEMO_PORT" -U backup_svc -d ehr -f /dev/null

say "workload: repl_svc opens a replication connection"
PGPASSWORD="$(pw repl_svc)" "$PG_BIN/psql" -X -w -q \
	"host=127.0.0.1 port=$DEMO_PORT user=repl_svc replication=true application_name=dr-standby" \
	-c 'IDENTIFY_SYSTEM' >/dev/null

say "workload: contractor_jsmith reads patient identifiers"
sql_as contractor_jsmith ehr 'DBeaver 23.3.0 - Main' >/dev/null <<'SQL'
SELECT mrn, full_name, dob, ssn FROM clinical.patient ORDER BY patient_id LIMIT 50;
SELECT count(*) FROM clinical.encounter;
SQL

say "workload: someone uses ehr_api's password from an interactive psql"
sql_as ehr_api ehr psql >/dev/null <<'SQL'
SELECT current_user, inet_client_addr();
SELECT mrn, full_name, ssn, dob, address FROM clinical.patient WHERE full_name LIKE 'Ada %';
SELECT * FROM clinical.verify_identity('0042', (SELECT dob FROM clinical.patient WHERE mrn = 'DEMO000042'));
SQL

say "workload: DBAs at work (index build as ehr_owner, connection limit change)"
sql_as dba_omar ehr psql >/dev/null <<'SQL'
SET ROLE ehr_owner;
CREATE INDEX IF NOT EXISTS medication_order_encounter_idx ON clinical.medication_order (encounter_id);
RESET ROLE;
SQL
sql_as dba_maria ehr psql >/dev/null <<'SQL'
SELECT usename, application_name, client_addr FROM pg_stat_activity WHERE usename IS NOT NULL;
ALTER ROLE hl7_integration CONNECTION LIMIT 10;
ANALYZE clinical.patient;
SQL

say "workload: failed logins (stale ehr_api secret, expired fax_gateway, unknown admin)"
expect_login_failure ehr_api FAKE-demo-stale-ehr-api-pw ehr-api/2.2.9
expect_login_failure ehr_api FAKE-demo-stale-ehr-api-pw ehr-api/2.2.9
expect_login_failure fax_gateway "$(pw fax_gateway)" faxgw/1.0
expect_login_failure admin FAKE-demo-guess-admin-pw psql
