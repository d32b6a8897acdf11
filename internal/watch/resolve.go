package watch

import (
	"strings"

	"github.com/wardsec/ward/internal/classify"
	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/phi"
)

// maxCache bounds the memo tables of the resolvers.
const maxCache = 50_000

// Kinds tells the kind of the accounts that events name: the kind the
// latest scan stored, else ward's classification of the name alone (with
// the owners file, which makes a listed account a service account).
type Kinds struct {
	known  map[string]inventory.Kind
	owners []config.Owner
	guess  map[string]inventory.Kind
}

// NewKinds returns a resolver that knows accounts (from the store's
// latest scan; may be empty) and owners (from the configuration).
func NewKinds(accounts []inventory.Account, owners []config.Owner) *Kinds {
	k := &Kinds{known: map[string]inventory.Kind{}, owners: owners,
		guess: map[string]inventory.Kind{}}
	for _, a := range accounts {
		id := a.ID
		if id == "" {
			id = inventory.AccountID(a.Source, a.Name)
		}
		k.known[id] = a.Kind
	}
	return k
}

// Kind returns the kind of account user of source.
func (k *Kinds) Kind(source, user string) inventory.Kind {
	id := inventory.AccountID(source, user)
	if kind, ok := k.known[id]; ok {
		return kind
	}
	if kind, ok := k.guess[id]; ok {
		return kind
	}
	snap := &inventory.Snapshot{Source: source, Type: "postgres",
		Accounts: []inventory.Account{{ID: id, Source: source, Name: user,
			Attributes: inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1}}}}
	classify.Classify(snap, k.owners)
	kind := snap.Accounts[0].Kind
	if len(k.guess) >= maxCache {
		clear(k.guess)
	}
	k.guess[id] = kind
	return kind
}

// PHI tells whether a relation named in an event holds PHI: as the latest
// scan marked it when the scan has it, else by the PHI matcher (built-in
// tokens and the configured patterns) on its name.
type PHI struct {
	m *phi.Matcher
	// marked maps "source/db.schema.table" to the scan's verdict.
	marked map[string]bool
}

// NewPHI returns a PHI resolver. resources maps a source name to the
// resources of its latest scan; it may be nil.
func NewPHI(m *phi.Matcher, resources map[string][]inventory.Resource) *PHI {
	p := &PHI{m: m, marked: map[string]bool{}}
	for src, rs := range resources {
		for _, r := range rs {
			if isRelation(r.Type) {
				p.marked[src+"/"+r.Name] = r.PHI
			}
		}
	}
	return p
}

// Table reports whether the relation key ("db.schema.table", from
// objectKey) of source holds PHI.
func (p *PHI) Table(source, key string) bool {
	if v, ok := p.marked[source+"/"+key]; ok {
		return v
	}
	if p.m == nil {
		return false
	}
	parts := strings.SplitN(key, ".", 3)
	if len(parts) != 3 {
		return false
	}
	is, _ := p.m.Table(parts[0], parts[1], parts[2])
	return is
}

// isRelation reports whether an object type names a table-like object.
func isRelation(typ string) bool {
	switch strings.ToUpper(typ) {
	case "TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "PARTITIONED TABLE":
		return true
	}
	return false
}

// objectKey returns "db.schema.table" for an event on a relation, "" for
// any other event. A name without a schema gets an empty schema part.
func objectKey(ev *inventory.Event) string {
	if ev.ObjectName == "" || !isRelation(ev.ObjectType) {
		return ""
	}
	parts := splitQualified(ev.ObjectName)
	switch len(parts) {
	case 1:
		return ev.Database + ".." + parts[0]
	case 2:
		return ev.Database + "." + parts[0] + "." + parts[1]
	case 3:
		return parts[0] + "." + parts[1] + "." + parts[2]
	}
	return ""
}

// splitQualified splits a possibly quoted, dotted name ("clinical.patient",
// `"My Schema"."T"`) into its parts, unquoted.
func splitQualified(name string) []string {
	var parts []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '"' && quoted && i+1 < len(name) && name[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, b.String())
}
