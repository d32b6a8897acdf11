package watch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/logtail"
)

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db.watch.json")
	st, err := LoadState(path)
	if err != nil || len(st.Baseline.Accounts) != 0 || len(st.Checkpoints) != 0 {
		t.Fatalf("missing file: %+v, %v; want an empty state", st, err)
	}

	e, _, _ := testEngine(t, Config{})
	learn(e, "etl_svc")
	st.Baseline = e.Baseline()
	st.SavedAt = t0
	st.Checkpoints["ehr"] = []logtail.Checkpoint{{ID: 7, Path: "/log/a.csv", Device: 1,
		Inode: 2, Offset: 300, Line: 4, Format: "csvlog", HeadLen: 10, Head: logtail.Head{1, 2},
		Size: 300, ModTime: t0}}
	data, err := st.encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeState(path, data); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v (%v), want 0600", fi.Mode(), err)
	}

	back, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	a := back.Baseline.Accounts["ehr/etl_svc"]
	if a == nil || a.Events != 120 || a.Addresses["10.0.0.1"] != 120 || a.Hours[14] != 60 ||
		a.Objects["ehr.public.lookup"] != 120 || !back.SavedAt.Equal(t0) {
		t.Errorf("baseline after reload = %+v", a)
	}
	if got := back.Checkpoints["ehr"]; len(got) != 1 || got[0] != st.Checkpoints["ehr"][0] {
		t.Errorf("checkpoints after reload = %+v", got)
	}
	if back.maxID() != 7 {
		t.Errorf("maxID = %d, want 7", back.maxID())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadStateRefuses(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"damaged", `{"version":1,"baseline":`, "damaged"},
		{"newer", `{"version":99}`, "newer ward"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadState(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestBaselineVolumeMean(t *testing.T) {
	a := &Account{}
	// Minutes of 4, 4 and then 8 events, each folded when the next begins.
	for m, n := range []int{4, 4, 8, 1} {
		for range n {
			a.minuteCount(t0.Add(time.Duration(m) * time.Minute))
		}
	}
	want := 4 + volumeAlpha*(4-4)
	want += volumeAlpha * (8 - want)
	if a.VolumeMinutes != 3 || a.VolumeMean != want || a.MinuteEvents != 1 {
		t.Errorf("minutes %d mean %v current %d; want 3, %v, 1", a.VolumeMinutes,
			a.VolumeMean, a.MinuteEvents, want)
	}
}

func TestBaselineBounds(t *testing.T) {
	set := map[string]int64{}
	for i := range maxPrograms + 5 {
		add(&set, string(rune('a'+i%26))+strings.Repeat("x", i), maxPrograms)
	}
	if len(set) != maxPrograms {
		t.Errorf("set grew to %d, bound %d", len(set), maxPrograms)
	}
	if isNew(set, "never seen", maxPrograms) {
		t.Error("a full set reports new values")
	}
}
