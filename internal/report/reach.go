package report

import (
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// sweepingReach says what an account reaches beyond its listed grants:
// ward does not list every object for a superuser or for a member of
// pg_read_all_data, so without this line a report would read as if the
// most powerful accounts reached nothing. It is empty for other accounts.
func sweepingReach(a inventory.Account) string {
	if a.Attributes.Superuser {
		return "superuser: every object of every database, PHI included, whatever the grants " +
			"and row-level security"
	}
	var parts []string
	for _, r := range a.Attributes.DangerousRoles {
		switch r {
		case "pg_read_all_data":
			parts = append(parts, "reads every table, PHI included (pg_read_all_data)")
		case "pg_write_all_data":
			parts = append(parts, "writes every table, PHI included (pg_write_all_data)")
		case "rds_superuser", "azure_pg_admin", "cloudsqlsuperuser":
			parts = append(parts, "the cloud provider's administrator role ("+r+")")
		}
	}
	return strings.Join(parts, "; ")
}
