package logtail

import (
	"crypto/sha256"
	"time"

	"github.com/wardsec/ward/internal/pglog"
)

// DefaultHeadBytes is how many bytes of a file's content its identity
// hashes: enough to hold dozens of timestamped log lines, so two different
// logs never share them.
const DefaultHeadBytes = 4096

// Head is the SHA-256 of the first bytes of a file's content.
type Head [sha256.Size]byte

// Checkpoint records how far the content of one log file has been read.
// It names the file by path, device and inode as last seen, and by the
// hash of its first HeadLen bytes, which stays the same when the file is
// renamed, copied or compressed.
type Checkpoint struct {
	// ID is the checkpoint's key in the store; 0 until it is first saved.
	ID int64
	// Path is where the file was last read.
	Path   string
	Device uint64
	Inode  uint64
	// Head hashes the first HeadLen bytes of the content; HeadLen is below
	// Options.HeadBytes only while the file is shorter than that.
	Head    Head
	HeadLen int64
	Format  pglog.Format
	// Compressed says the file last read was gzip compressed; Offset and
	// Line then count the decompressed content.
	Compressed bool
	// Offset is the number of content bytes read, always at the start of a
	// record; Line is the number of lines before Offset.
	Offset int64
	Line   int64
	// Size and ModTime are the file's as last read, to skip an unchanged
	// file without opening it.
	Size    int64
	ModTime time.Time
	// Complete says nothing more can be appended: a compressed file read
	// to its end.
	Complete bool
	// Tail hashes the TailLen bytes of content just before Offset (at most
	// Options.HeadBytes), to notice a file whose content changed before
	// its checkpoint (a line removed) rather than resume it in the middle
	// of a record. TailLen is 0 when not known: a checkpoint at offset 0,
	// or saved by an older ward.
	Tail    Head
	TailLen int64
}

// unchanged reports whether st is the file cp last read, with nothing new
// in it: a plain file read to its end, or a compressed one read whole.
func (cp *Checkpoint) unchanged(st fileStat) bool {
	return cp.Device == st.dev && cp.Inode == st.ino && cp.Size == st.size &&
		cp.ModTime.Equal(st.mtime) && (cp.Complete || !cp.Compressed && cp.Offset == st.size)
}
