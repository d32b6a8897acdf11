package usage

import (
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// objectUse is one privilege (or command) an event shows on one object.
type objectUse struct {
	objType, object, privilege string
}

// UsesOf returns what one pgaudit event shows its session used, as Use
// values with Count 1 and First and Last at the event's time. It returns
// nothing for an event that is not an audit record.
//
// READ rows use SELECT on their relation, whatever the command (the source
// of an INSERT ... SELECT is a READ row of command INSERT). WRITE rows use
// the privilege of their command: INSERT, UPDATE, DELETE, TRUNCATE; COPY
// FROM uses INSERT; MERGE uses INSERT, UPDATE and DELETE; SELECT ... FOR
// UPDATE or FOR SHARE uses UPDATE; INSERT ... ON CONFLICT DO UPDATE also
// uses UPDATE. DDL rows that create an object in a schema use CREATE on
// that schema; CREATE SCHEMA uses CREATE on the database. FUNCTION rows use
// EXECUTE. Every other row is kept as its command on its object.
func UsesOf(ev inventory.Event) []Use {
	var out []Use
	for _, o := range objectUses(ev) {
		out = append(out, Use{Database: ev.Database, ObjectType: o.objType, Object: o.object,
			Privilege: o.privilege, Count: 1, First: ev.Time, Last: ev.Time})
	}
	return out
}

// objectUses is UsesOf without the event's time and database.
func objectUses(ev inventory.Event) []objectUse {
	if ev.Action != inventory.ActionAudit || ev.Audit.Class == "" {
		return nil
	}
	cmd := strings.ToUpper(strings.TrimSpace(ev.Command))
	typ, obj := strings.ToUpper(ev.ObjectType), ev.ObjectName
	on := func(privs ...string) []objectUse {
		out := make([]objectUse, len(privs))
		for i, p := range privs {
			out[i] = objectUse{typ, obj, p}
		}
		return out
	}

	switch strings.ToUpper(ev.Audit.Class) {
	case "READ":
		if obj == "" {
			// A statement on no relation (SELECT 1, a function call): the
			// command still ran.
			return on(cmd)
		}
		return on("SELECT")
	case "WRITE":
		return on(writePrivileges(cmd, ev.Statement)...)
	case "DDL":
		return ddlUses(ev.Database, cmd, typ, obj)
	case "FUNCTION":
		if obj != "" {
			return on("EXECUTE")
		}
	}
	return on(cmd)
}

// writePrivileges maps the command of a WRITE row to the privileges it
// needs on the relation.
func writePrivileges(cmd, stmt string) []string {
	switch cmd {
	case "INSERT":
		if onConflictUpdate(stmt) {
			return []string{"INSERT", "UPDATE"}
		}
		return []string{"INSERT"}
	case "UPDATE", "DELETE":
		return []string{cmd}
	case "TRUNCATE", "TRUNCATE TABLE":
		return []string{"TRUNCATE"}
	case "COPY":
		return []string{"INSERT"}
	case "MERGE":
		return []string{"INSERT", "UPDATE", "DELETE"}
	case "SELECT":
		// A WRITE row with command SELECT is SELECT ... FOR UPDATE/SHARE.
		return []string{"UPDATE"}
	}
	return []string{cmd}
}

// onConflictUpdate reports whether an INSERT statement's text has an ON
// CONFLICT ... DO UPDATE clause. It reads the redacted text; a statement
// pgaudit left out ("<previously logged>") reads as a plain INSERT.
func onConflictUpdate(stmt string) bool {
	s := strings.ToUpper(stmt)
	i := strings.Index(s, "ON CONFLICT")
	return i >= 0 && strings.Contains(s[i:], "DO UPDATE")
}

// schemaObjects are the kinds of object whose creation needs CREATE on
// their schema. Indexes, triggers, policies and rules go with their table
// and need its ownership instead.
var schemaObjects = map[string]bool{
	"TABLE": true, "VIEW": true, "MATERIALIZED VIEW": true, "SEQUENCE": true,
	"FUNCTION": true, "PROCEDURE": true, "AGGREGATE": true, "TYPE": true, "DOMAIN": true,
	"FOREIGN TABLE": true, "COLLATION": true, "CONVERSION": true, "OPERATOR": true,
	"STATISTICS": true, "TEXT SEARCH CONFIGURATION": true, "TEXT SEARCH DICTIONARY": true,
}

// ddlUses maps a DDL row: CREATE of a schema object uses CREATE on its
// schema, CREATE SCHEMA uses CREATE on the database; anything else is its
// command on its object.
func ddlUses(db, cmd, typ, obj string) []objectUse {
	kind, isCreate := strings.CutPrefix(cmd, "CREATE ")
	switch {
	case isCreate && kind == "SCHEMA" && db != "":
		return []objectUse{{"DATABASE", db, "CREATE"}}
	case isCreate && schemaObjects[strings.TrimSuffix(kind, " AS")] && obj != "":
		if schema, _, ok := strings.Cut(obj, "."); ok && schema != "" {
			return []objectUse{{"SCHEMA", schema, "CREATE"}}
		}
	}
	return []objectUse{{typ, obj, cmd}}
}
