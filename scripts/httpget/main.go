// Command httpget prints an HTTP GET's body and status, like `curl -sS -w '\n(HTTP %{http_code})'`,
// so that `make demo` needs nothing but Go on a fresh machine.
//
//	httpget URL
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: httpget URL")
		os.Exit(2)
	}
	url := os.Args[1]
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpget:", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpget: reading the body:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\n(HTTP %d)\n", strings.TrimRight(string(body), "\n"), resp.StatusCode)
	if resp.StatusCode >= 400 {
		os.Exit(22) // like curl -f
	}
}
