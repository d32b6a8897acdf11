package classify

import (
	"bufio"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:embed signals.txt
var signalsText string

// phrase is a run of consecutive tokens with a weight.
type phrase struct {
	words  []string
	weight int
}

// lexicon is the parsed signals.txt.
type lexicon struct {
	serviceNames   map[string]int
	serviceDomains []string
	admin          map[string]bool
	generic        map[string]bool
	humanGroups    map[string]bool
	serviceComment []phrase
	humanComment   []phrase
	interactive    []string
	settings       map[string]bool
}

// builtin returns the lexicon of the embedded signals.txt. The file is part
// of the program and a test parses it, so a parse error is a build defect
// and panics, as regexp.MustCompile does with a bad literal.
var builtin = sync.OnceValue(func() *lexicon {
	lx, err := parseLexicon(signalsText)
	if err != nil {
		panic("classify: embedded signals.txt: " + err.Error())
	}
	return lx
})

// known reports whether w is a word of any list, so not a person's name.
func (lx *lexicon) known(w string) bool {
	_, svc := lx.serviceNames[w]
	return svc || lx.admin[w] || lx.generic[w] || lx.humanGroups[w]
}

func parseLexicon(text string) (*lexicon, error) {
	lx := &lexicon{
		serviceNames: map[string]int{},
		admin:        map[string]bool{},
		generic:      map[string]bool{},
		humanGroups:  map[string]bool{},
		settings:     map[string]bool{},
	}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			continue
		}
		if err := lx.add(section, line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read signals: %w", err)
	}
	if len(lx.serviceNames) == 0 || len(lx.interactive) == 0 {
		return nil, fmt.Errorf("no [service-name] or [interactive] entries")
	}
	return lx, nil
}

func (lx *lexicon) add(section, line string) error {
	fields := strings.Fields(line)
	switch section {
	case "service-name":
		if len(fields) != 2 || !isToken(fields[0]) {
			return fmt.Errorf("%q: write a lowercase token and a weight, such as \"etl 3\"", line)
		}
		w, err := weight(fields[1])
		if err != nil {
			return err
		}
		lx.serviceNames[fields[0]] = w
	case "service-comment", "human-comment":
		w, err := weight(fields[0])
		if err != nil || len(fields) < 2 || !allTokens(fields[1:]) {
			return fmt.Errorf("%q: write a weight and lowercase words, "+
				"such as \"3 service account\"", line)
		}
		p := phrase{words: fields[1:], weight: w}
		if section == "service-comment" {
			lx.serviceComment = append(lx.serviceComment, p)
		} else {
			lx.humanComment = append(lx.humanComment, p)
		}
	case "admin":
		return addWord(lx.admin, line)
	case "generic":
		return addWord(lx.generic, line)
	case "human-group":
		return addWord(lx.humanGroups, line)
	case "interactive", "service-domain", "service-setting":
		if strings.ToLower(line) != line {
			return fmt.Errorf("%q: write it in lowercase", line)
		}
		switch section {
		case "interactive":
			lx.interactive = append(lx.interactive, strings.Join(fields, " "))
		case "service-domain":
			lx.serviceDomains = append(lx.serviceDomains, line)
		default:
			lx.settings[line] = true
		}
	default:
		return fmt.Errorf("%q outside a known [section]", line)
	}
	return nil
}

func addWord(set map[string]bool, line string) error {
	if !isToken(line) {
		return fmt.Errorf("%q: write one lowercase token", line)
	}
	set[line] = true
	return nil
}

func weight(s string) (int, error) {
	w, err := strconv.Atoi(s)
	if err != nil || w < 1 || w > 3 {
		return 0, fmt.Errorf("weight %q: write 1, 2 or 3", s)
	}
	return w, nil
}

// isToken reports whether w is lowercase ASCII letters and digits, starting
// with a letter: the only tokens nameTokens can produce from ASCII names.
func isToken(w string) bool {
	if w == "" || w[0] < 'a' || w[0] > 'z' {
		return false
	}
	for i := 1; i < len(w); i++ {
		if c := w[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func allTokens(ws []string) bool {
	for _, w := range ws {
		if !isToken(w) {
			return false
		}
	}
	return true
}
