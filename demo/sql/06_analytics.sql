-- ward demo, step 6 (database analytics): the reporting warehouse the ETL
-- fills and the BI dashboards read. One table still carries MRNs.

\set ON_ERROR_STOP on

CREATE EXTENSION IF NOT EXISTS pgaudit;

CREATE SCHEMA reporting AUTHORIZATION etl_loader;
COMMENT ON SCHEMA reporting IS 'aggregates for dashboards; readmission_cohort holds MRNs';

SET ROLE etl_loader;

CREATE TABLE reporting.encounter_daily (
	day            date NOT NULL,
	facility_code  text NOT NULL,
	encounter_type text NOT NULL,
	encounters     integer NOT NULL,
	PRIMARY KEY (day, facility_code, encounter_type)
);

CREATE TABLE reporting.readmission_cohort (
	mrn            text NOT NULL,
	index_admit    date NOT NULL,
	age_band       text NOT NULL,
	readmitted_30d boolean NOT NULL,
	PRIMARY KEY (mrn, index_admit)
);

CREATE TABLE reporting.payer_mix (
	month   date NOT NULL,
	payer   text NOT NULL,
	claims  integer NOT NULL,
	charges numeric(14, 2) NOT NULL,
	PRIMARY KEY (month, payer)
);

INSERT INTO reporting.encounter_daily
SELECT current_date - d,
	(ARRAY['SPR-MAIN', 'SPR-EAST', 'SHV-TELE'])[1 + f],
	t, 3 + (d * 7 + f * 5 + length(t)) % 40
FROM generate_series(1, 60) AS d,
	generate_series(0, 2) AS f,
	unnest(ARRAY['outpatient', 'emergency', 'inpatient', 'telehealth']) AS t;

INSERT INTO reporting.readmission_cohort
SELECT 'DEMO' || lpad((1 + (i * 13) % 120)::text, 6, '0'),
	current_date - (i * 3),
	(ARRAY['18-34', '35-49', '50-64', '65-79', '80+'])[1 + i % 5],
	i % 7 = 0
FROM generate_series(1, 80) AS i;

INSERT INTO reporting.payer_mix
SELECT (date_trunc('month', current_date) - m * interval '1 month')::date, p,
	50 + (m * 17 + length(p)) % 200, 25000 + (m * 977 + length(p) * 131) % 90000
FROM generate_series(0, 11) AS m,
	unnest(ARRAY['Example Health Plan (demo)', 'Medicare (demo)',
		'State Medicaid (demo)', 'Self-pay']) AS p;

GRANT USAGE ON SCHEMA reporting TO reporting_read;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO reporting_read;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO reporting_read;

RESET ROLE;
