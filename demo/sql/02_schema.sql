-- ward demo, step 2 (database ehr): the schemas and tables of a small EHR.
-- Everything but the staging area is owned by ehr_owner.

\set ON_ERROR_STOP on

-- pgaudit's event triggers give DDL audit rows their object names.
CREATE EXTENSION IF NOT EXISTS pgaudit;

SET ROLE ehr_owner;

CREATE SCHEMA reference;
COMMENT ON SCHEMA reference IS 'code sets and master data; no PHI';
CREATE SCHEMA clinical;
COMMENT ON SCHEMA clinical IS 'patient care records: PHI';
CREATE SCHEMA billing;
COMMENT ON SCHEMA billing IS 'claims and invoices: PHI';
CREATE SCHEMA integration;
COMMENT ON SCHEMA integration IS 'interface engine message logs';

CREATE TABLE reference.facility (
	facility_id smallint PRIMARY KEY,
	code        text NOT NULL UNIQUE,
	name        text NOT NULL,
	city        text NOT NULL,
	state       char(2) NOT NULL
);

CREATE TABLE reference.icd10_code (
	code        text PRIMARY KEY,
	description text NOT NULL,
	chapter     text NOT NULL
);

CREATE TABLE clinical.patient (
	patient_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	mrn          text NOT NULL UNIQUE,
	ssn          char(11),
	dob          date NOT NULL,
	full_name    text NOT NULL,
	sex          char(1) NOT NULL CHECK (sex IN ('F', 'M', 'X', 'U')),
	address      text,
	phone        text,
	facility_id  smallint REFERENCES reference.facility,
	created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN clinical.patient.mrn IS 'medical record number';

CREATE TABLE clinical.encounter (
	encounter_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	patient_id     bigint NOT NULL REFERENCES clinical.patient,
	facility_id    smallint NOT NULL REFERENCES reference.facility,
	encounter_type text NOT NULL
		CHECK (encounter_type IN ('inpatient', 'outpatient', 'emergency', 'telehealth')),
	attending      text NOT NULL,
	admitted_at    timestamptz NOT NULL,
	discharged_at  timestamptz
);
CREATE INDEX ON clinical.encounter (patient_id);

CREATE TABLE clinical.diagnosis (
	diagnosis_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	encounter_id bigint NOT NULL REFERENCES clinical.encounter,
	icd10_code   text NOT NULL REFERENCES reference.icd10_code,
	rank         smallint NOT NULL DEFAULT 1,
	recorded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clinical.medication_order (
	order_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	encounter_id bigint NOT NULL REFERENCES clinical.encounter,
	drug_name    text NOT NULL,
	dose         text NOT NULL,
	route        text NOT NULL,
	frequency    text NOT NULL,
	ordered_by   text NOT NULL,
	ordered_at   timestamptz NOT NULL DEFAULT now(),
	status       text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'completed', 'cancelled'))
);

CREATE TABLE clinical.lab_result (
	result_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	patient_id     bigint NOT NULL REFERENCES clinical.patient,
	encounter_id   bigint REFERENCES clinical.encounter,
	loinc_code     text NOT NULL,
	test_name      text NOT NULL,
	value_numeric  numeric,
	unit           text,
	abnormal_flag  char(1),
	resulted_at    timestamptz NOT NULL,
	source_system  text NOT NULL
);
CREATE INDEX ON clinical.lab_result (patient_id);

-- Notes flagged sensitive (psychotherapy, substance use treatment) are
-- visible to their author only; see the policies in 03_security.sql.
CREATE TABLE clinical.clinical_note (
	note_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	encounter_id bigint NOT NULL REFERENCES clinical.encounter,
	author       text NOT NULL DEFAULT current_user,
	note_kind    text NOT NULL,
	sensitive    boolean NOT NULL DEFAULT false,
	body         text NOT NULL,
	signed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing.payer (
	payer_id   smallint PRIMARY KEY,
	name       text NOT NULL,
	payer_type text NOT NULL CHECK (payer_type IN ('commercial', 'medicare', 'medicaid', 'self-pay'))
);

CREATE TABLE billing.claim (
	claim_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	encounter_id bigint NOT NULL REFERENCES clinical.encounter,
	payer_id     smallint NOT NULL REFERENCES billing.payer,
	member_id    text NOT NULL,
	total_charge numeric(12, 2) NOT NULL,
	status       text NOT NULL DEFAULT 'submitted'
		CHECK (status IN ('draft', 'submitted', 'paid', 'denied')),
	submitted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN billing.claim.member_id IS 'insurance member ID';

CREATE TABLE billing.invoice (
	invoice_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	claim_id   bigint REFERENCES billing.claim,
	patient_id bigint NOT NULL REFERENCES clinical.patient,
	amount_due numeric(12, 2) NOT NULL,
	due_date   date NOT NULL,
	paid_at    timestamptz
);

CREATE VIEW billing.open_claim AS
	SELECT c.claim_id, p.mrn, py.name AS payer, c.total_charge, c.submitted_at
	FROM billing.claim c
	JOIN clinical.encounter e USING (encounter_id)
	JOIN clinical.patient p USING (patient_id)
	JOIN billing.payer py USING (payer_id)
	WHERE c.status IN ('submitted', 'denied');

CREATE TABLE integration.hl7_message_log (
	message_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_at      timestamptz NOT NULL DEFAULT now(),
	message_type     text NOT NULL,
	control_id       text NOT NULL,
	sending_facility text NOT NULL,
	patient_mrn      text,
	raw_message      text NOT NULL,
	processed        boolean NOT NULL DEFAULT false
);

RESET ROLE;

-- The ETL's own staging area, owned by the etl_loader login itself.
CREATE SCHEMA staging AUTHORIZATION etl_loader;
SET ROLE etl_loader;
CREATE TABLE staging.lab_result_load (
	batch_id    text NOT NULL,
	mrn         text NOT NULL,
	loinc_code  text NOT NULL,
	test_name   text NOT NULL,
	value_text  text,
	unit        text,
	resulted_at timestamptz NOT NULL
);
RESET ROLE;
