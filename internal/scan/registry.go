package scan

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pgsource"
)

// Factory builds the connector for one configured source.
type Factory func(src config.Source, log *slog.Logger) (inventory.Connector, error)

// Registry maps source types to connector factories.
type Registry struct {
	factories map[string]Factory
}

// Register adds a factory; a type registered twice is an error.
func (r *Registry) Register(typ string, f Factory) error {
	if r.factories == nil {
		r.factories = map[string]Factory{}
	}
	if _, dup := r.factories[typ]; dup {
		return fmt.Errorf("connector type %q registered twice", typ)
	}
	r.factories[typ] = f
	return nil
}

// New builds the connector for src.
func (r Registry) New(src config.Source, log *slog.Logger) (inventory.Connector, error) {
	f, ok := r.factories[src.Type]
	if !ok {
		known := make([]string, 0, len(r.factories))
		for k := range r.factories {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("source %s: no connector for type %q (known: %s)",
			src.Name, src.Type, strings.Join(known, ", "))
	}
	return f(src, log)
}

// DefaultRegistry lists every connector built into ward.
func DefaultRegistry() Registry {
	var r Registry
	must(r.Register("postgres", func(src config.Source, log *slog.Logger) (inventory.Connector, error) {
		return pgsource.New(src, log)
	}))
	return r
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
