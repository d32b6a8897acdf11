-- ward demo, step 5 (database ehr): obviously fake data. Names are built from
-- words like "Example" and "Sample", SSNs start with 000 (never issued),
-- phone numbers are in the fictional 555-01xx range, MRNs start with DEMO.
-- The rows are generated deterministically so every run looks the same.

\set ON_ERROR_STOP on

SET ROLE ehr_owner;

INSERT INTO reference.facility VALUES
	(1, 'SPR-MAIN', 'Springfield General (demo)', 'Springfield', 'ZZ'),
	(2, 'SPR-EAST', 'Springfield East Clinic (demo)', 'Springfield', 'ZZ'),
	(3, 'SHV-TELE', 'Shelbyville Telehealth Hub (demo)', 'Shelbyville', 'ZZ');

INSERT INTO reference.icd10_code VALUES
	('E11.9', 'Type 2 diabetes mellitus without complications', 'Endocrine'),
	('I10', 'Essential (primary) hypertension', 'Circulatory'),
	('J45.909', 'Unspecified asthma, uncomplicated', 'Respiratory'),
	('J18.9', 'Pneumonia, unspecified organism', 'Respiratory'),
	('N39.0', 'Urinary tract infection, site not specified', 'Genitourinary'),
	('M54.50', 'Low back pain, unspecified', 'Musculoskeletal'),
	('F32.A', 'Depression, unspecified', 'Mental and behavioural'),
	('F10.20', 'Alcohol dependence, uncomplicated', 'Mental and behavioural'),
	('K21.9', 'Gastro-esophageal reflux disease without esophagitis', 'Digestive'),
	('R07.9', 'Chest pain, unspecified', 'Symptoms and signs'),
	('S52.501A', 'Unspecified fracture of the lower end of right radius, initial', 'Injury'),
	('Z00.00', 'General adult medical examination without abnormal findings', 'Factors');

INSERT INTO clinical.patient (mrn, ssn, dob, full_name, sex, address, phone, facility_id)
SELECT 'DEMO' || lpad(i::text, 6, '0'),
	'000-' || lpad((i % 100)::text, 2, '0') || '-' || lpad(i::text, 4, '0'),
	date '1938-01-01' + (i * 211) % 30000,
	(ARRAY['Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro',
		'Ines', 'Jamal', 'Kirsten', 'Luis'])[1 + i % 12] || ' ' ||
	(ARRAY['Example', 'Sample', 'Placeholder', 'Testwood', 'Mockley',
		'Specimen', 'Fakeworth'])[1 + i % 7],
	(ARRAY['F', 'M', 'X', 'U'])[1 + (i * 3 % 7) % 4],
	(100 + i)::text || ' Example Street, Springfield, ZZ 00000',
	'555-01' || lpad((i % 100)::text, 2, '0'),
	1 + i % 3
FROM generate_series(1, 120) AS i;

INSERT INTO clinical.encounter
	(patient_id, facility_id, encounter_type, attending, admitted_at, discharged_at)
SELECT 1 + (i * 7) % 120, 1 + i % 3,
	(ARRAY['outpatient', 'outpatient', 'emergency', 'inpatient', 'telehealth'])[1 + i % 5],
	(ARRAY['Dr. Quill Example', 'Dr. Rosa Sample', 'Dr. Tomas Placeholder'])[1 + i % 3],
	now() - i * interval '23 hours',
	CASE WHEN i > 3 THEN now() - i * interval '23 hours' + interval '5 hours' END
FROM generate_series(1, 300) AS i;

INSERT INTO clinical.diagnosis (encounter_id, icd10_code, rank)
SELECT e.encounter_id,
	(ARRAY['E11.9', 'I10', 'J45.909', 'J18.9', 'N39.0', 'M54.50', 'F32.A',
		'F10.20', 'K21.9', 'R07.9', 'S52.501A', 'Z00.00'])[1 + (e.encounter_id * 5) % 12],
	1
FROM clinical.encounter e;

INSERT INTO clinical.medication_order
	(encounter_id, drug_name, dose, route, frequency, ordered_by, status)
SELECT 1 + (i * 3) % 300,
	(ARRAY['metformin', 'lisinopril', 'albuterol', 'amoxicillin', 'ibuprofen',
		'omeprazole'])[1 + i % 6],
	(ARRAY['500 mg', '10 mg', '2 puffs', '875 mg', '400 mg', '20 mg'])[1 + i % 6],
	(ARRAY['oral', 'oral', 'inhaled', 'oral', 'oral', 'oral'])[1 + i % 6],
	(ARRAY['twice daily', 'once daily', 'as needed', 'twice daily', 'every 6 h',
		'once daily'])[1 + i % 6],
	'Dr. Rosa Sample',
	(ARRAY['active', 'completed', 'cancelled'])[1 + i % 3]
FROM generate_series(1, 200) AS i;

INSERT INTO clinical.lab_result (patient_id, encounter_id, loinc_code, test_name,
	value_numeric, unit, abnormal_flag, resulted_at, source_system)
SELECT e.patient_id, e.encounter_id,
	(ARRAY['4548-4', '2345-7', '2160-0', '718-7'])[1 + e.encounter_id % 4],
	(ARRAY['Hemoglobin A1c', 'Glucose', 'Creatinine', 'Hemoglobin'])[1 + e.encounter_id % 4],
	(ARRAY[6.1, 104, 0.9, 13.5])[1 + e.encounter_id % 4] + (e.encounter_id % 9) / 10.0,
	(ARRAY['%', 'mg/dL', 'mg/dL', 'g/dL'])[1 + e.encounter_id % 4],
	CASE WHEN e.encounter_id % 6 = 0 THEN 'H' END,
	e.admitted_at + interval '2 hours',
	'LabLink'
FROM clinical.encounter e;

INSERT INTO clinical.clinical_note (encounter_id, author, note_kind, sensitive, body)
SELECT e.encounter_id,
	(ARRAY['dr_quill', 'dr_rosa', 'dr_tomas'])[1 + e.encounter_id % 3],
	CASE WHEN e.encounter_id % 10 = 0 THEN 'psychotherapy' ELSE 'progress' END,
	e.encounter_id % 10 = 0,
	'Demo note ' || e.encounter_id || ': patient seen, plan discussed. (fake text)'
FROM clinical.encounter e
WHERE e.encounter_id % 2 = 0;

INSERT INTO billing.payer VALUES
	(1, 'Example Health Plan (demo)', 'commercial'),
	(2, 'Medicare (demo)', 'medicare'),
	(3, 'State Medicaid (demo)', 'medicaid'),
	(4, 'Self-pay', 'self-pay');

INSERT INTO billing.claim (encounter_id, payer_id, member_id, total_charge, status, submitted_at)
SELECT e.encounter_id, 1 + e.encounter_id % 4,
	'FAKEMBR' || lpad(e.patient_id::text, 7, '0'),
	120 + (e.encounter_id * 37) % 4000,
	(ARRAY['submitted', 'paid', 'paid', 'denied'])[1 + e.encounter_id % 4],
	e.admitted_at + interval '3 days'
FROM clinical.encounter e
WHERE e.encounter_id > 3;

INSERT INTO billing.invoice (claim_id, patient_id, amount_due, due_date, paid_at)
SELECT c.claim_id, e.patient_id, round(c.total_charge * 0.2, 2),
	(c.submitted_at + interval '30 days')::date,
	CASE WHEN c.claim_id % 3 = 0 THEN c.submitted_at + interval '20 days' END
FROM billing.claim c
JOIN clinical.encounter e USING (encounter_id)
WHERE c.status <> 'denied';

INSERT INTO integration.hl7_message_log
	(received_at, message_type, control_id, sending_facility, patient_mrn, raw_message, processed)
SELECT now() - i * interval '7 hours', 'ADT^A01', 'CTL' || lpad(i::text, 8, '0'), 'SPR-MAIN',
	p.mrn,
	'MSH|^~\&|DEMO-ADT|SPR-MAIN|EHR|SPR-MAIN|' || to_char(now(), 'YYYYMMDDHH24MISS') ||
		'||ADT^A01|CTL' || lpad(i::text, 8, '0') || '|P|2.5' || E'\r' ||
	'PID|1||' || p.mrn || '||' || replace(p.full_name, ' ', '^') || '||' ||
		to_char(p.dob, 'YYYYMMDD') || '|' || p.sex || '|||' || p.address ||
		'||' || p.phone || '|||||' || p.ssn,
	true
FROM generate_series(1, 40) AS i
JOIN clinical.patient p ON p.patient_id = 1 + (i * 11) % 120;

RESET ROLE;
