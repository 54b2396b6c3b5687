// Package loopback guards HTTP handlers served on this machine only against DNS rebinding: a
// web page on another site that resolves its own name to 127.0.0.1 can make the browser send
// requests to a local server, but those carry the page's name in Host (and its origin in
// Origin). Only requests naming the bound loopback address itself get through.
package loopback

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Guard returns a handler that serves h only to requests whose Host is a loopback name
// (127.0.0.1, [::1], localhost) with the listener's port, and whose Origin, when present, is
// http:// the same. Others get 403 with a plain explanation.
func Guard(h http.Handler, port string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Allowed(r.Host, port) {
			http.Error(w, "forbidden: this server answers only requests addressed to this machine's loopback address (Host "+quote(r.Host)+")", http.StatusForbidden)
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Scheme != "http" || !Allowed(u.Host, port) {
				http.Error(w, "forbidden: cross-origin request from "+quote(o), http.StatusForbidden)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Allowed reports whether hostport names a loopback host with the given port.
func Allowed(hostport, port string) bool {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil || p != port {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return "\"" + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s) + "\""
}
