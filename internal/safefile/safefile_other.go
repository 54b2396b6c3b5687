//go:build !unix

package safefile

import (
	"io/fs"
	"os"
)

const oNonblock = 0

func isNoReader(error) bool { return false }

func keepOwner(*os.File, fs.FileInfo) {}
