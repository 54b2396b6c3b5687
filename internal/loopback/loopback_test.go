package loopback

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGuard(t *testing.T) {
	h := Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }), "8123")
	for _, c := range []struct {
		host, origin string
		want         int
	}{
		{"127.0.0.1:8123", "", 200},
		{"localhost:8123", "http://localhost:8123", 200},
		{"[::1]:8123", "", 200},
		{"LOCALHOST:8123", "", 200},
		{"evil.example:8123", "", 403},                 // DNS rebinding
		{"127.0.0.1:8123", "http://evil.example", 403}, // cross-origin event stream
		{"127.0.0.1:9999", "", 403},
		{"127.0.0.1", "", 403},
		{"10.0.0.1:8123", "", 403},
		{"127.0.0.1:8123", "https://127.0.0.1:8123", 403},
		{"127.0.0.1:8123", "null", 403},
	} {
		r := httptest.NewRequest("GET", "/events", nil)
		r.Host = c.host
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("Host %q Origin %q: %d, want %d", c.host, c.origin, w.Code, c.want)
		}
	}
}
