package refactor

import (
	"os"

	"github.com/decant-go/decant/internal/modcache"
)

// environ is the go command's environment for loading the service: the module cache in front
// of the proxy, so modules the machine has are not asked for again.
func environ() []string {
	return append(os.Environ(), "GOPROXY="+modcache.InFront(os.Getenv("GOPROXY")))
}
