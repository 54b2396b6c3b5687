//go:build ignore

// Command hand serves GET /v1/probabilities the way a person would write it in a few minutes:
// net/http, url.Values, strconv and encoding/json, calling the same library function as the
// server Decant generates. bench/api/run.sh copies it into the extracted repository as
// cmd/hand/main.go, so both servers compute exactly the same thing and differ only in their
// HTTP layer.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strconv"

	"example.com/churn/churn"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	flag.Parse()
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	http.HandleFunc("GET /v1/probabilities", probabilities)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func probabilities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var x [4]float64
	for i, name := range []string{"age", "monthly_spend", "tenure_months", "support_calls"} {
		v, err := strconv.ParseFloat(q.Get(name), 64)
		if err != nil {
			fail(w, http.StatusBadRequest, "bad "+name)
			return
		}
		x[i] = v
	}
	p, err := churn.CalcProbabilities(x[0], q.Get("plan"), x[1], x[2], x[3])
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]float64{"probabilities": p})
}

func fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error_message": msg, "result": code})
}
