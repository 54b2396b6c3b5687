package refactor

import "os"

// environ is the environment for the go command and go/packages.
func environ() []string { return os.Environ() }
