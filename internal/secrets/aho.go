package secrets

import "fmt"

// matcher is an Aho-Corasick automaton over ASCII-case-folded bytes,
// compiled to a dense transition table. Each keyword carries a bit mask
// (the detectors it wakes); scanning reports, at each position where one
// or more keywords end, the union of their masks.
//
// The table is indexed by state and byte class: bytes that occur in no
// keyword share class 0, which keeps the table small enough for the cache.
type matcher struct {
	// class maps a byte to its class; upper-case letters map like lower.
	class  [256]uint8
	nclass int
	// delta[state*nclass+class] is the next state; the top bit is set when
	// the next state reports a match.
	delta []uint32
	// out is the union of masks of the keywords that end in each state,
	// its failure chain included.
	out []uint64
}

const matchFlag = 1 << 31

// newMatcher builds the automaton. Keywords are matched case-insensitively
// for ASCII letters; an empty keyword is an error.
func newMatcher(keywords []string, masks []uint64) (*matcher, error) {
	if len(keywords) != len(masks) {
		return nil, fmt.Errorf("aho-corasick: %d keywords, %d masks", len(keywords), len(masks))
	}
	m := &matcher{}
	next := 1
	for _, k := range keywords {
		if k == "" {
			return nil, fmt.Errorf("aho-corasick: empty keyword")
		}
		for i := 0; i < len(k); i++ {
			b := lower(k[i])
			if m.class[b] == 0 {
				if next > 255 {
					return nil, fmt.Errorf("aho-corasick: too many distinct bytes")
				}
				m.class[b] = uint8(next)
				next++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	m.nclass = next

	// The trie, as sparse children first.
	type node struct {
		child map[uint8]int
		fail  int
		out   uint64
	}
	nodes := []node{{child: map[uint8]int{}}}
	for i, k := range keywords {
		s := 0
		for j := 0; j < len(k); j++ {
			c := m.class[k[j]]
			n, ok := nodes[s].child[c]
			if !ok {
				n = len(nodes)
				nodes = append(nodes, node{child: map[uint8]int{}})
				nodes[s].child[c] = n
			}
			s = n
		}
		nodes[s].out |= masks[i]
	}

	// Breadth-first: failure links, merged outputs and the dense table.
	m.delta = make([]uint32, len(nodes)*m.nclass)
	m.out = make([]uint64, len(nodes))
	queue := []int{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s != 0 {
			nodes[s].out |= nodes[nodes[s].fail].out
		}
		m.out[s] = nodes[s].out
		for c := 0; c < m.nclass; c++ {
			n, ok := nodes[s].child[uint8(c)]
			if ok && c != 0 {
				if s != 0 {
					nodes[n].fail = int(m.delta[nodes[s].fail*m.nclass+c] &^ matchFlag)
				}
				queue = append(queue, n)
			} else if s == 0 {
				n = 0
			} else {
				n = int(m.delta[nodes[s].fail*m.nclass+c] &^ matchFlag)
			}
			m.delta[s*m.nclass+c] = uint32(n)
		}
	}
	// Flag transitions into reporting states, now that outputs are final.
	for i, d := range m.delta {
		if m.out[d] != 0 {
			m.delta[i] = d | matchFlag
		}
	}
	return m, nil
}

// scan runs the automaton over text and calls hit with the offset just
// past each keyword end and the union of the masks ending there. hit
// returns false to stop the scan.
func (m *matcher) scan(text []byte, hit func(end int, mask uint64) bool) {
	delta, class, n := m.delta, &m.class, uint32(m.nclass)
	var s uint32
	for i, b := range text {
		s = delta[s*n+uint32(class[b])]
		if s&matchFlag != 0 {
			s &^= matchFlag
			if !hit(i+1, m.out[s]) {
				return
			}
		}
	}
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
