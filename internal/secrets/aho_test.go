package secrets

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// naiveHits is the reference: for each end offset, the union of the masks
// of keywords ending there, by case-folded comparison at every position.
func naiveHits(kws []string, masks []uint64, text []byte) map[int]uint64 {
	out := map[int]uint64{}
	// ASCII folding only: bytes.ToLower would rewrite invalid UTF-8.
	fold := func(b []byte) []byte {
		o := make([]byte, len(b))
		for i, c := range b {
			o[i] = lower(c)
		}
		return o
	}
	low := fold(text)
	for i := range low {
		for k, kw := range kws {
			if bytes.HasPrefix(low[i:], fold([]byte(kw))) {
				out[i+len(kw)] |= masks[k]
			}
		}
	}
	return out
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name string
		kws  []string
		text string
	}{
		{"overlapping suffixes", []string{"he", "she", "his", "hers"}, "ushers and HIS sHe"},
		{"keyword inside keyword", []string{"pass", "password", "word"}, "PASSWORD passwd pas"},
		{"repeats", []string{"aa", "aaa"}, "aaaaaa"},
		{"no hit", []string{"postgres"}, "postgre sql"},
		{"bytes outside keywords", []string{"q~"}, "\x00\xffQ~\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.kws, []byte(tc.text))
		})
	}
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		const alpha = "abAB-~"
		word := func(n int) string {
			b := make([]byte, n)
			for i := range b {
				b[i] = alpha[rng.IntN(len(alpha))]
			}
			return string(b)
		}
		for range 200 {
			var kws []string
			for range 1 + rng.IntN(8) {
				kws = append(kws, word(1+rng.IntN(4)))
			}
			check(t, kws, []byte(word(rng.IntN(60))))
		}
	})
}

func check(t *testing.T, kws []string, text []byte) {
	t.Helper()
	masks := make([]uint64, len(kws))
	for i := range kws {
		masks[i] = 1 << uint(i)
	}
	m, err := newMatcher(kws, masks)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]uint64{}
	m.scan(text, func(end int, mask uint64) bool { got[end] |= mask; return true })
	want := naiveHits(kws, masks, text)
	if len(got) != len(want) {
		t.Fatalf("keywords %q in %q: hits %v, want %v", kws, text, got, want)
	}
	for end, mask := range want {
		if got[end] != mask {
			t.Errorf("keywords %q in %q: at %d mask %b, want %b", kws, text, end, got[end], mask)
		}
	}
}

func TestMatcherErrors(t *testing.T) {
	if _, err := newMatcher([]string{""}, []uint64{1}); err == nil {
		t.Error("an empty keyword was accepted")
	}
	if _, err := newMatcher([]string{"a"}, nil); err == nil {
		t.Error("keywords and masks of different lengths were accepted")
	}
}
