package usage

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed programs.txt
var programsText string

// interactiveTools returns the parsed programs.txt. The file is compiled
// in and a test parses it, so an error is a build defect.
var interactiveTools = sync.OnceValue(func() []string {
	tools, err := parsePrograms(programsText)
	if err != nil {
		panic("usage: embedded programs.txt: " + err.Error())
	}
	return tools
})

// parsePrograms reads one lowercase entry per line; # starts a comment.
func parsePrograms(text string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if line != strings.ToLower(line) {
			return nil, fmt.Errorf("line %d: %q is not lowercase", n, line)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read programs: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no entries")
	}
	return out, nil
}

// Interactive reports whether an application_name is that of a tool
// people use by hand, and returns the tool's family.
func Interactive(app string) (family string, ok bool) {
	low := strings.ToLower(strings.TrimSpace(app))
	for _, t := range interactiveTools() {
		rest, found := strings.CutPrefix(low, t)
		if found && (rest == "" || !startsWithLetter(rest)) {
			return t, true
		}
	}
	return "", false
}

// Family returns the program family of an application_name: the tool's
// entry for an interactive tool, otherwise the lowercased name cut at its
// first "/" and without trailing words that start with a digit or with
// "v" and a digit (versions). "ehr-api/2.3.1" and "ehr-api/2.4.0" are both
// "ehr-api"; "worker 1.2" is "worker". An empty name is its own family, "".
func Family(app string) string {
	if f, ok := Interactive(app); ok {
		return f
	}
	low := strings.ToLower(strings.TrimSpace(app))
	low, _, _ = strings.Cut(low, "/")
	words := strings.Fields(low)
	for i, w := range words {
		if isVersion(w) {
			words = words[:i]
			break
		}
	}
	if len(words) == 0 {
		return strings.TrimSpace(low)
	}
	return strings.Join(words, " ")
}

// isVersion reports whether a word looks like a version: 2.3, v12, 23.1.0.
func isVersion(w string) bool {
	w = strings.TrimPrefix(w, "v")
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsDigit(r)
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}
