// Package modcache locates the Go module cache and makes it a module proxy, so the go command
// resolves what the machine already has before it asks the network.
package modcache

import (
	"os"
	"path/filepath"
	"strings"
)

// Dir returns the module cache directory without running the go command: $GOMODCACHE, else
// the first $GOPATH entry's pkg/mod, else ~/go/pkg/mod. It returns "" when none can be found.
func Dir() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// Proxy returns the cache's download directory as a file:// GOPROXY entry.
func Proxy(cache string) string {
	return "file://" + filepath.ToSlash(filepath.Join(cache, "cache", "download"))
}

// InFront returns a GOPROXY value with the module cache in front of proxy (the current
// GOPROXY; "" means the go command's default), so only what is missing goes to the network.
func InFront(proxy string) string {
	cache := Dir()
	if cache == "" {
		return proxy
	}
	if proxy == "" {
		proxy = "https://proxy.golang.org,direct"
	}
	if strings.HasPrefix(proxy, Proxy(cache)) || proxy == "off" {
		return proxy
	}
	return Proxy(cache) + "," + proxy
}
