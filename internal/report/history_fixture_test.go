package report

import (
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// historyScan is the sample scan as it is reported once stored: compared
// with the previous scan of each source, one finding under a suppression
// made with ward suppress and one whose suppression in ward.yaml expired.
func historyScan() *inventory.ScanResult {
	r := sampleScan()
	prev := r.StartedAt.Add(-24 * time.Hour)
	fp := func(i int) inventory.FindingRef {
		f := r.Findings[i]
		return inventory.FindingRef{Fingerprint: f.Fingerprint, RuleID: f.RuleID,
			Severity: f.Severity, Title: f.Title, AccountID: f.AccountID, Resource: f.Resource,
			PHI: f.PHI}
	}
	reopened := fp(3)
	reopened.Reopened = true

	// PG-SUPER-001 on ehr/etl_loader: accepted until the end of June.
	r.Findings[2].Suppression = &inventory.Suppression{
		Reason:    "legacy loader; replacement scheduled, ticket SEC-42",
		Until:     time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC),
		By:        "ciso@clinic.example",
		CreatedAt: time.Date(2025, 3, 10, 15, 4, 5, 0, time.UTC),
		Source:    inventory.SuppressionFromCommand,
	}
	// PG-HBA-003: its suppression in ward.yaml ended in February.
	r.Findings[3].Suppression = &inventory.Suppression{
		Reason: "=cmd|' /C calc'!A0 was the old reason", Until: time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC),
		By: "alice", Source: inventory.SuppressionFromConfig, Expired: true,
	}

	r.Changes = &inventory.Changes{Sources: []inventory.SourceChanges{
		{Source: "lab", Comparison: inventory.ComparedNotAtAll, Status: inventory.StatusFailed,
			Notes: []string{"the source failed in this scan: nothing was collected, so " +
				"nothing is compared; its findings are kept as they were"}},
		{Source: "ehr", Comparison: inventory.ComparedWithPrevious,
			Status:         inventory.StatusComplete,
			PreviousScanID: "scan-20250313-0001", PreviousStartedAt: prev,
			PreviousStatus: inventory.StatusComplete,
			New:            []inventory.FindingRef{reopened, fp(1)},
			Unchanged:      []inventory.FindingRef{fp(2), fp(0)},
			Resolved: []inventory.FindingRef{{Fingerprint: "00000000000000aa",
				RuleID: "PG-OLD-004", Severity: inventory.SeverityLow, Title: "Old problem",
				AccountID: "ehr/old_etl"}},
			AddedAccounts: []inventory.AccountRef{{ID: "ehr/reporting", Name: "reporting",
				Kind: inventory.KindUnknown, CanLogin: true, Grants: 1, PHIGrants: 1}},
			RemovedAccounts: []inventory.AccountRef{{ID: "ehr/old_etl", Name: "old_etl",
				Kind: inventory.KindService, Owner: "data-platform@example.org", Grants: 3}},
			AddedGrants: []inventory.GrantChange{{AccountID: "ehr/etl_loader",
				Grant: inventory.Grant{Privilege: "UPDATE", Resource: "ehr.clinical.patients",
					ResourceType: "table", PHI: true, Via: "app_rw", Path: []string{"app_rw"}}}},
			RemovedGrants: []inventory.GrantChange{{AccountID: "ehr/etl_loader",
				Grant: inventory.Grant{Privilege: "DELETE", Resource: "ehr.clinical.patients",
					ResourceType: "table", PHI: true, Via: inventory.ViaDirect}}},
		},
		{Source: "billing", Comparison: inventory.ComparedWithPrevious,
			Status: inventory.StatusPartial, PreviousScanID: "scan-20250313-0001",
			PreviousStartedAt: prev, PreviousStatus: inventory.StatusPartial,
			Notes: []string{"the source was scanned in part: findings this scan could not " +
				"see stay open, none is resolved",
				"grants on databases that one of the two scans could not read are not " +
					"compared: archive"}},
	}}
	return r
}
