package phi

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// nonData lists resource types that hold no rows, so their names are never
// PHI-marked. Any other type with a database.schema.name form is treated as
// a relation (table, view, materialized view, foreign or partitioned table),
// so that an unexpected type is marked rather than missed.
var nonData = map[string]bool{
	"database": true, "schema": true, "sequence": true, "function": true,
	"procedure": true, "aggregate": true, "routine": true, "type": true,
	"domain": true, "language": true, "server": true, "foreign server": true,
	"foreign data wrapper": true, "tablespace": true, "large object": true,
	"parameter": true,
}

// Mark sets PHI and PHIReason on the snapshot's tables and columns, and PHI
// on every grant whose resource is a PHI table or column. A table is PHI
// when Table says so or when any of its columns is PHI; the reason then
// names the column. Marks from an earlier call are replaced, so marking
// twice gives the same result.
//
// Resource names are "database.schema.table" and
// "database.schema.table.column"; a name with a dot inside an identifier is
// read as if the extra dots belonged to the table name. Grants on resources
// the snapshot does not list are judged by their names alone. Grants on
// databases and schemas are never marked; use IndexOf to learn whether one
// holds PHI.
func (m *Matcher) Mark(s *inventory.Snapshot) {
	ncol := 0
	for _, r := range s.Resources {
		if isColumn(r.Type) {
			ncol++
		}
	}
	mk := marker{
		m:       m,
		tables:  make(map[string]verdict, len(s.Resources)-ncol),
		columns: make(map[string]verdict, ncol/4),
	}

	// Columns first: they can make their table PHI.
	fromColumn := mk.markColumns(s.Resources)
	phi := mk.markRelations(s.Resources, fromColumn)
	for a := range s.Accounts {
		grants := s.Accounts[a].Grants
		for g := range grants {
			grants[g].PHI = mk.grant(phi, grants[g])
		}
	}
	for g := range s.PublicGrants {
		s.PublicGrants[g].PHI = mk.grant(phi, s.PublicGrants[g])
	}
}

// markColumns marks the column resources and returns, for each table with
// a PHI column, the reason its first PHI column gives.
func (mk *marker) markColumns(rs []inventory.Resource) map[string]string {
	fromColumn := map[string]string{}
	for i := range rs {
		r := &rs[i]
		if !isColumn(r.Type) {
			continue
		}
		r.PHI, r.PHIReason = false, ""
		db, schema, table, column, ok := splitColumn(r.Name)
		if !ok {
			continue
		}
		key := r.Name[:len(r.Name)-len(column)-1]
		r.PHI, r.PHIReason = mk.column(key, db, schema, table, column)
		if _, seen := fromColumn[key]; r.PHI && !seen {
			fromColumn[key] = fmt.Sprintf("column %q: %s", column, r.PHIReason)
		}
	}
	return fromColumn
}

// markRelations marks tables and views, clears the marks of every other
// non-column resource, and returns the PHI verdict of every resource by
// name.
func (mk *marker) markRelations(rs []inventory.Resource, fromColumn map[string]string) map[string]bool {
	phi := make(map[string]bool, len(rs))
	for i := range rs {
		r := &rs[i]
		switch {
		case isColumn(r.Type):
		case isRelation(r.Type):
			r.PHI, r.PHIReason = false, ""
			if db, schema, table, ok := splitTable(r.Name); ok {
				v := mk.table(r.Name, db, schema, table)
				r.PHI, r.PHIReason = v.phi, v.why
			}
			if why, ok := fromColumn[r.Name]; ok && !r.PHI {
				r.PHI, r.PHIReason = true, why
			}
		default:
			r.PHI, r.PHIReason = false, ""
		}
		phi[r.Name] = r.PHI
	}
	return phi
}

// verdict is the judgement on one name. For a table, inherit is the reason
// its columns get.
type verdict struct {
	phi     bool
	why     string
	inherit string
}

// marker carries the caches of one Mark call.
type marker struct {
	m       *Matcher
	tables  map[string]verdict // by "database.schema.table" as given
	columns map[string]verdict // by column name, as names repeat across tables
	loose   map[string]bool    // grant resources the snapshot does not list
}

// table judges the table named key ("database.schema.table").
func (mk *marker) table(key, db, schema, table string) verdict {
	if v, ok := mk.tables[key]; ok {
		return v
	}
	var v verdict
	v.phi, v.why = mk.m.table(strings.ToLower(db), strings.ToLower(schema), table)
	if v.phi {
		v.inherit = inTable(v.why)
	}
	mk.tables[key] = v
	return v
}

// column judges a column of the table named key, in the order of
// Matcher.Column.
func (mk *marker) column(key, db, schema, table, column string) (bool, string) {
	ldb, lschema := strings.ToLower(db), strings.ToLower(schema)
	if ok, why := mk.m.columnPattern(ldb, lschema, table, column); ok {
		return true, why
	}
	v, ok := mk.columns[column]
	if !ok {
		v.phi, v.why = mk.m.columnName(column)
		mk.columns[column] = v
	}
	if v.phi {
		return true, v.why
	}
	if t := mk.table(key, db, schema, table); t.phi {
		return true, t.inherit
	}
	return false, ""
}

// grant judges one grant: by the marked resource when the snapshot lists
// it, else by its name and type.
func (mk *marker) grant(phi map[string]bool, g inventory.Grant) bool {
	if v, ok := phi[g.Resource]; ok {
		return v
	}
	key := g.ResourceType + "\x00" + g.Resource
	if v, ok := mk.loose[key]; ok {
		return v
	}

	var v bool
	switch {
	case isColumn(g.ResourceType):
		if db, schema, table, column, ok := splitColumn(g.Resource); ok {
			v, _ = mk.column(g.Resource[:len(g.Resource)-len(column)-1], db, schema, table, column)
		}
	case isRelation(g.ResourceType):
		if db, schema, table, ok := splitTable(g.Resource); ok {
			v = mk.table(g.Resource, db, schema, table).phi
		}
	}
	if mk.loose == nil {
		mk.loose = map[string]bool{}
	}
	mk.loose[key] = v
	return v
}

func isColumn(typ string) bool { return strings.EqualFold(typ, "column") }

// isRelation reports whether a resource type may hold rows.
func isRelation(typ string) bool {
	return !isColumn(typ) && !nonData[strings.ToLower(typ)]
}

// splitTable reads "database.schema.table".
func splitTable(name string) (db, schema, table string, ok bool) {
	db, rest, ok1 := strings.Cut(name, ".")
	schema, table, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || db == "" || schema == "" || table == "" {
		return "", "", "", false
	}
	return db, schema, table, true
}

// splitColumn reads "database.schema.table.column".
func splitColumn(name string) (db, schema, table, column string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", "", "", "", false
	}
	db, schema, table, ok = splitTable(name[:i])
	column = name[i+1:]
	if !ok || column == "" {
		return "", "", "", "", false
	}
	return db, schema, table, column, true
}
