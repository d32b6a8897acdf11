package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wardsec/ward/internal/logtail"
)

// stateVersion is the layout of the state file; a newer one is refused.
const stateVersion = 1

// State is what `ward watch` keeps between runs: the baseline, the open
// alert groups and, per source, the checkpoint reached in each log file.
// They are saved in one file, together, so that they always agree. The checkpoints are watch's
// own: `ward ingest` keeps its own in the store, as the two read the logs
// independently.
type State struct {
	Version  int       `json:"version"`
	SavedAt  time.Time `json:"saved_at"`
	Baseline *Baseline `json:"baseline"`
	// Checkpoints maps a source name to its files' checkpoints.
	Checkpoints map[string][]logtail.Checkpoint `json:"checkpoints"`
	// Groups are the alert groups whose window was open when the state
	// was saved. A state written before groups were saved has none.
	Groups []SavedGroup `json:"groups,omitempty"`
}

// StatePath returns the state file that goes with a store: next to it,
// named after it ("ward.db" → "ward.db.watch.json").
func StatePath(store string) string { return store + ".watch.json" }

// LoadState reads the state file at path. A missing file is an empty
// state; a damaged one is an error that says how to start over.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: stateVersion, Baseline: NewBaseline(),
			Checkpoints: map[string][]logtail.Checkpoint{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read watch state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("watch state %s is damaged (%v): move it aside to start "+
			"learning again from the end of the logs", path, err)
	}
	if st.Version > stateVersion {
		return nil, fmt.Errorf("watch state %s was written by a newer ward (layout %d, "+
			"this one knows %d)", path, st.Version, stateVersion)
	}
	if st.Baseline == nil {
		st.Baseline = NewBaseline()
	}
	if st.Baseline.Accounts == nil {
		st.Baseline.Accounts = map[string]*Account{}
	}
	if st.Checkpoints == nil {
		st.Checkpoints = map[string][]logtail.Checkpoint{}
	}
	return &st, nil
}

// maxID returns the highest checkpoint ID of the state, so that new ones
// are numbered after it.
func (st *State) maxID() int64 {
	var n int64
	for _, cps := range st.Checkpoints {
		for _, cp := range cps {
			n = max(n, cp.ID)
		}
	}
	return n
}

// encode returns the state as JSON.
func (st *State) encode() ([]byte, error) {
	st.Version = stateVersion
	return json.Marshal(st)
}

// writeState replaces the file at path with data atomically: a
// temporary file in the same directory, synced, renamed over it, and the
// directory synced. The file is readable by its owner only.
func writeState(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save watch state: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save watch state: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("save watch state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save watch state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save watch state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save watch state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
