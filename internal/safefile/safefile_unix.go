//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

const oNonblock = syscall.O_NONBLOCK

func isNoReader(err error) bool { return errors.Is(err, syscall.ENXIO) }

func keepOwner(tmp *os.File, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		// Best effort: an unprivileged process may keep the group if it belongs to it, and only
		// root may keep another owner.
		if tmp.Chown(int(st.Uid), int(st.Gid)) != nil {
			tmp.Chown(-1, int(st.Gid))
		}
	}
}
