package secrets

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/wardsec/ward/internal/inventory"
)

// utf16Bytes encodes s as UTF-16 with a byte order mark.
func utf16Bytes(s string, big bool) []byte {
	out := []byte{0xFF, 0xFE}
	if big {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if big {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

const appsettings = "{\r\n  \"ConnectionStrings\": {\r\n    \"Ehr\": " +
	"\"Host=db.internal;Database=ehr;Username=svc_win;Password=FAKE-utf16-55\"\r\n  }\r\n}\r\n"

func TestUTF16Files(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []want
		skip map[string]int
	}{
		{"UTF-16LE with BOM", utf16Bytes(appsettings, false),
			[]want{{RuleDBPassword, "svc_win@db.internal/ehr", inventory.SeverityHigh,
				"FAKE-utf16-55", 3}}, nil},
		{"UTF-16BE with BOM", utf16Bytes(appsettings, true),
			[]want{{RuleDBPassword, "svc_win@db.internal/ehr", inventory.SeverityHigh,
				"FAKE-utf16-55", 3}}, nil},
		{"UTF-16 without BOM stays binary", utf16Bytes(appsettings, false)[2:], nil,
			map[string]int{SkipBinary: 1}},
		{"NUL bytes stay binary", []byte("DB_PASSWORD=FAKE-nul-56\n\x00\x01\x02"), nil,
			map[string]int{SkipBinary: 1}},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "appsettings.json"), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := s.ScanPath(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			checkSecrets(t, res.Secrets, tc.want)
			if len(res.Stats.Skipped) != len(tc.skip) || res.Stats.Skipped[SkipBinary] != tc.skip[SkipBinary] {
				t.Errorf("skipped %v, want %v", res.Stats.Skipped, tc.skip)
			}
			// ScanBytes reads the same way.
			checkSecrets(t, s.ScanBytes("appsettings.json", tc.data), tc.want)
		})
	}
}

func TestDecodeUTF16(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
		ok   bool
	}{
		{"little endian", []byte{0xFF, 0xFE, 'a', 0, 0xE9, 0, '\n', 0}, "aé\n", true},
		{"big endian", []byte{0xFE, 0xFF, 0, 'a', 0xD8, 0x3D, 0xDE, 0x00}, "a😀", true},
		{"odd trailing byte dropped", []byte{0xFF, 0xFE, 'a', 0, 'b'}, "a", true},
		{"unpaired surrogate", []byte{0xFF, 0xFE, 0x00, 0xD8, 'a', 0}, "\uFFFDa", true},
		{"no BOM", []byte{'a', 0}, "", false},
		{"UTF-8 BOM is not UTF-16", []byte{0xEF, 0xBB, 0xBF, 'a'}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeUTF16(tc.in)
			if ok != tc.ok || string(got) != tc.want {
				t.Errorf("decodeUTF16(% x) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
