package report

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// sarifSchemaEnv names the environment variable that points at the SARIF
// 2.1.0 JSON schema. ward does not ship the schema (it is OASIS's); the
// npm package @microsoft/jest-sarif carries it as
// lib/schemas/sarif-2.1.0-rtm.5.json:
//
//	npm pack @microsoft/jest-sarif@1.0.0-beta.0
//	tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas
//	WARD_SARIF_SCHEMA=$PWD/package/lib/schemas/sarif-2.1.0-rtm.5.json go test ./internal/report
const sarifSchemaEnv = "WARD_SARIF_SCHEMA"

// TestSARIFValidatesAgainstSchema validates the SARIF of every fixture
// against the official schema when $WARD_SARIF_SCHEMA names it (`make test`
// fetches it and sets it). Outside make it is skipped, saying so, and
// TestSARIFStructure still checks the required parts; under CI a missing
// schema is a failure, so the check cannot silently drop out.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	path := os.Getenv(sarifSchemaEnv)
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set under CI: run the tests with `make test`", sarifSchemaEnv)
		}
		t.Skipf("SARIF SCHEMA ABSENT: set %s to the SARIF 2.1.0 JSON schema (make test does)", sarifSchemaEnv)
	}
	v := loadSchema(t, path)
	for _, tt := range []struct {
		name string
		scan *inventory.ScanResult
	}{
		{"sample", sampleScan()},
		{"history", historyScan()},
		{"hostile", hostileScan()},
		{"empty", &inventory.ScanResult{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal(render(t, tt.scan, WriteSARIF), &doc); err != nil {
				t.Fatal(err)
			}
			for _, e := range v.validate(doc) {
				t.Error(e)
			}
		})
	}

	// The validator must also reject: a log that breaks the schema.
	t.Run("validator rejects a broken log", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(render(t, historyScan(), WriteSARIF), &doc); err != nil {
			t.Fatal(err)
		}
		lookupMap(doc, "runs.0.results.0")["level"] = "fatal"
		delete(lookupMap(doc, "runs.0.tool.driver"), "name")
		lookupMap(doc, "runs.0")["unknownMember"] = true
		if errs := v.validate(doc); len(errs) < 3 {
			t.Errorf("validator found %d errors in a log with three, want 3 or more: %v",
				len(errs), errs)
		}
	})
}

func loadSchema(t *testing.T, path string) *schemaValidator {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the SARIF schema: %v", err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("the SARIF schema is not JSON: %v", err)
	}
	return &schemaValidator{root: root}
}

// schemaValidator checks a JSON value against a draft-04 JSON schema. It
// knows the keywords the SARIF schema uses: $ref (to #/definitions),
// type, enum, properties, additionalProperties, required, items,
// minItems, uniqueItems, minimum, maximum, pattern, format (uri,
// uri-reference, date-time), anyOf and oneOf. An unknown keyword is an
// error, so that a schema using more is not silently half-checked.
type schemaValidator struct {
	root map[string]any
}

// ignoredKeywords describe a schema without constraining instances.
var ignoredKeywords = map[string]bool{
	"description": true, "default": true, "title": true, "$schema": true, "id": true,
	"definitions": true,
}

func (v *schemaValidator) validate(doc any) []string {
	var errs []string
	v.check(v.root, doc, "$", &errs)
	return errs
}

func (v *schemaValidator) check(s map[string]any, x any, at string, errs *[]string) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, at+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/definitions/")
		def, _ := v.root["definitions"].(map[string]any)[name].(map[string]any)
		if !found || def == nil {
			fail("unresolvable $ref %q", ref)
			return
		}
		v.check(def, x, at, errs)
		return
	}

	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kw := s[k]
		switch k {
		case "type":
			if !hasType(kw, x) {
				fail("type %v, want %v", jsonType(x), kw)
			}
		case "enum":
			found := false
			for _, e := range kw.([]any) {
				found = found || reflect.DeepEqual(e, x)
			}
			if !found {
				fail("%v is not one of %v", x, kw)
			}
		case "properties", "additionalProperties", "required":
			v.checkObject(s, k, x, at, errs)
		case "items":
			if a, ok := x.([]any); ok {
				for i, e := range a {
					v.check(kw.(map[string]any), e, fmt.Sprintf("%s[%d]", at, i), errs)
				}
			}
		case "minItems":
			if a, ok := x.([]any); ok && float64(len(a)) < kw.(float64) {
				fail("%d items, want at least %v", len(a), kw)
			}
		case "uniqueItems":
			if a, ok := x.([]any); ok && kw == true {
				for i := range a {
					for j := i + 1; j < len(a); j++ {
						if reflect.DeepEqual(a[i], a[j]) {
							fail("items %d and %d are equal", i, j)
						}
					}
				}
			}
		case "minimum":
			if n, ok := x.(float64); ok && n < kw.(float64) {
				fail("%v is below the minimum %v", n, kw)
			}
		case "maximum":
			if n, ok := x.(float64); ok && n > kw.(float64) {
				fail("%v is above the maximum %v", n, kw)
			}
		case "pattern":
			if str, ok := x.(string); ok && !regexp.MustCompile(kw.(string)).MatchString(str) {
				fail("%q does not match %s", str, kw)
			}
		case "format":
			if str, ok := x.(string); ok {
				if err := checkFormat(kw.(string), str); err != nil {
					fail("%v", err)
				}
			}
		case "anyOf", "oneOf":
			n := 0
			for _, sub := range kw.([]any) {
				var subErrs []string
				v.check(sub.(map[string]any), x, at, &subErrs)
				if len(subErrs) == 0 {
					n++
				}
			}
			if n == 0 || (k == "oneOf" && n > 1) {
				fail("%d of the %s alternatives match", n, k)
			}
		default:
			if !ignoredKeywords[k] {
				fail("schema keyword %q is not supported by this validator", k)
			}
		}
	}
}

// checkObject applies properties, additionalProperties and required; it
// is called once per keyword and acts on the keyword named.
func (v *schemaValidator) checkObject(s map[string]any, kw string, x any, at string,
	errs *[]string) {
	m, ok := x.(map[string]any)
	if !ok {
		return
	}
	props, _ := s["properties"].(map[string]any)
	switch kw {
	case "required":
		for _, r := range s["required"].([]any) {
			if _, has := m[r.(string)]; !has {
				*errs = append(*errs, fmt.Sprintf("%s: required member %q missing", at, r))
			}
		}
	case "properties":
		for name, val := range m {
			if ps, has := props[name]; has {
				v.check(ps.(map[string]any), val, at+"."+name, errs)
			}
		}
	case "additionalProperties":
		for name, val := range m {
			if _, has := props[name]; has {
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					*errs = append(*errs, fmt.Sprintf("%s: member %q is not allowed", at, name))
				}
			case map[string]any:
				v.check(ap, val, at+"."+name, errs)
			}
		}
	}
}

func hasType(want, x any) bool {
	switch w := want.(type) {
	case string:
		return typeMatches(w, x)
	case []any:
		for _, t := range w {
			if typeMatches(t.(string), x) {
				return true
			}
		}
	}
	return false
}

func typeMatches(want string, x any) bool {
	got := jsonType(x)
	if want == "number" && got == "integer" {
		return true
	}
	return want == got
}

func jsonType(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

func checkFormat(format, s string) error {
	switch format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("%q is not a date-time", s)
		}
	case "uri":
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
	case "uri-reference":
		if _, err := url.Parse(s); err != nil {
			return fmt.Errorf("%q is not a URI reference", s)
		}
	default:
		return fmt.Errorf("format %q is not supported by this validator", format)
	}
	return nil
}
