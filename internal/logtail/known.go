package logtail

import (
	"crypto/sha256"
	"sort"
)

// headKey finds a checkpoint by the hash of its file's first bytes.
type headKey struct {
	n    int64
	head Head
}

// knownFiles indexes the checkpoints of one source by inode and by head.
type knownFiles struct {
	byIno  map[[2]uint64]*Checkpoint
	byHead map[headKey]*Checkpoint
	// lens counts the checkpoints of each head length, longest first in
	// order, to hash a new file's start at each length known.
	lens  map[int64]int
	order []int64
	// in holds the checkpoints indexed.
	in map[*Checkpoint]bool
}

func newKnownFiles(cps []Checkpoint) *knownFiles {
	k := &knownFiles{byIno: map[[2]uint64]*Checkpoint{}, byHead: map[headKey]*Checkpoint{},
		lens: map[int64]int{}, in: map[*Checkpoint]bool{}}
	sorted := make([]Checkpoint, len(cps))
	copy(sorted, cps)
	// Later checkpoints win where two share an inode or a head.
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for i := range sorted {
		cp := sorted[i]
		k.add(&cp)
	}
	return k
}

func (k *knownFiles) add(cp *Checkpoint) {
	k.in[cp] = true
	if cp.Device != 0 || cp.Inode != 0 {
		k.byIno[[2]uint64{cp.Device, cp.Inode}] = cp
	}
	if cp.HeadLen > 0 {
		k.byHead[headKey{cp.HeadLen, cp.Head}] = cp
		if k.lens[cp.HeadLen] == 0 {
			k.order = append(k.order, cp.HeadLen)
			sort.Slice(k.order, func(i, j int) bool { return k.order[i] > k.order[j] })
		}
		k.lens[cp.HeadLen]++
	}
}

func (k *knownFiles) remove(cp *Checkpoint) {
	if !k.in[cp] {
		return
	}
	delete(k.in, cp)
	ino := [2]uint64{cp.Device, cp.Inode}
	if k.byIno[ino] == cp {
		delete(k.byIno, ino)
	}
	if cp.HeadLen > 0 {
		key := headKey{cp.HeadLen, cp.Head}
		if k.byHead[key] == cp {
			delete(k.byHead, key)
		}
		if k.lens[cp.HeadLen]--; k.lens[cp.HeadLen] <= 0 {
			delete(k.lens, cp.HeadLen)
			for i, n := range k.order {
				if n == cp.HeadLen {
					k.order = append(k.order[:i], k.order[i+1:]...)
					break
				}
			}
		}
	}
}

// update sets what cp holds to now, indexed afresh; cp need not have
// been indexed before.
func (k *knownFiles) update(cp *Checkpoint, now Checkpoint) {
	k.remove(cp)
	*cp = now
	k.add(cp)
}

// byInode returns the checkpoint of the file last read at dev and ino.
func (k *knownFiles) byInode(dev, ino uint64) *Checkpoint {
	if dev == 0 && ino == 0 {
		return nil
	}
	return k.byIno[[2]uint64{dev, ino}]
}

// matchHead returns the checkpoint of a file whose content starts like
// head (the first bytes of a file's content), longest match first.
func (k *knownFiles) matchHead(head []byte) *Checkpoint {
	for _, n := range k.order {
		if n > int64(len(head)) {
			continue
		}
		if cp := k.byHead[headKey{n, sha256.Sum256(head[:n])}]; cp != nil {
			return cp
		}
	}
	return nil
}

// headMatches reports whether head starts with the bytes cp hashed.
func headMatches(cp *Checkpoint, head []byte) bool {
	return cp.HeadLen <= int64(len(head)) && sha256.Sum256(head[:cp.HeadLen]) == cp.Head
}
