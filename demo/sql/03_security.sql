-- ward demo, step 3 (database ehr): row-level security on clinical notes and
-- two SECURITY DEFINER functions, one written carefully and one not.

\set ON_ERROR_STOP on

-- Sensitive notes are readable by their author only; other notes by every
-- member of clinical_read. The owner (ehr_owner), superusers and BYPASSRLS
-- logins are not subject to these policies.
ALTER TABLE clinical.clinical_note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_read ON clinical.clinical_note
	FOR SELECT TO clinical_read
	USING (NOT sensitive OR author = current_user);
CREATE POLICY note_insert ON clinical.clinical_note
	FOR INSERT TO clinical_write
	WITH CHECK (author = current_user);
CREATE POLICY note_amend ON clinical.clinical_note
	FOR UPDATE TO clinical_write
	USING (author = current_user);

-- Front-desk identity check, added in a hurry: owned by the bootstrap
-- superuser, no pinned search_path, and EXECUTE left to PUBLIC, so any login
-- can look patients up by the last four digits of their SSN. pgaudit logs
-- only the function call, not the table read inside it.
CREATE FUNCTION clinical.verify_identity(ssn_last4 text, birth_date date)
RETURNS TABLE (mrn text, full_name text, phone text)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
	SELECT p.mrn, p.full_name, p.phone
	FROM clinical.patient p
	WHERE right(p.ssn, 4) = ssn_last4 AND p.dob = birth_date
$$;

-- Patient balance for the billing portal, written the careful way: owned by
-- ehr_owner, search_path pinned, EXECUTE granted to one group only.
SET ROLE ehr_owner;
CREATE FUNCTION billing.patient_balance(patient_mrn text)
RETURNS numeric
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(sum(i.amount_due), 0)
	FROM billing.invoice i
	JOIN clinical.patient p ON p.patient_id = i.patient_id
	WHERE p.mrn = patient_mrn AND i.paid_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION billing.patient_balance(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing.patient_balance(text) TO billing_read;
RESET ROLE;
