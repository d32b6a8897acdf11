//go:build unix

package logtail

import (
	"io/fs"
	"syscall"
)

// devIno returns the device and inode of fi, when the system has them.
func devIno(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino) //nolint:unconvert // int32 on some systems
	}
	return 0, 0
}
