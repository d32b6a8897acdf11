package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// timeLayout has a fixed width, so that stored times compare as text in the
// order of time. Times are stored in UTC.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime renders t for storage.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime renders t for storage, NULL when it is the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// parseTime reads a stored time; NULL gives the zero time.
func parseTime(v sql.NullString) (time.Time, error) {
	if !v.Valid {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, v.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", v.String, err)
	}
	return t, nil
}

// jsonText renders v as JSON for storage, NULL when v is nil (a nil slice,
// map or pointer), so that nil and empty survive the round trip apart.
func jsonText(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return string(b), nil
}

// readJSON decodes a stored JSON column into dst; NULL leaves dst alone.
func readJSON(v sql.NullString, dst any) error {
	if !v.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(v.String), dst); err != nil {
		return fmt.Errorf("stored JSON: %w", err)
	}
	return nil
}

// boolInt renders b as SQLite's 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
