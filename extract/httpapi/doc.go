// Package httpapi generates the HTTP API of an extracted service: a net/http server for the
// exported functions of one library package, its OpenAPI document, and handler tests.
//
// Render takes a Spec (the library's import path and one Route per served function) and
// returns the files as bytes, keyed by slash path; it writes nothing:
//
//	cmd/server/main.go          flags, timeouts, structured logs, the trained artifact, graceful shutdown
//	cmd/server/api.go           routing, parameter checks, JSON errors, panic recovery, /healthz, /readyz
//	cmd/server/observe.go       Prometheus metrics, access logs, request IDs, the buffered log writer
//	cmd/server/api_test.go      httptest tests of every route and error code, a fuzz test, a benchmark
//	cmd/server/observe_test.go  metrics, request IDs, access logs, readiness, signals, -version
//	cmd/server/openapi_test.go  openapi.json validated with kin-openapi, every documented path served
//	openapi.json                OpenAPI 3.0: routes, parameters, bounds, examples, every response code
//
// The Go files are gofmt-formatted, vet-clean, and pass their own tests as emitted. Beside the
// standard library they use github.com/prometheus/client_golang (metrics) and, in the tests,
// github.com/getkin/kin-openapi; they need go MinGoVersion or later in go.mod.
//
// # Routes
//
// A route's path is Route.Path, or PathFor(Func): nouns under /v1/, so CalcProbabilities,
// GetProbs and probabilities all give /v1/probabilities. The method is GET when every
// parameter is a scalar, POST otherwise, unless Route.Method says which.
//
// A GET route reads each parameter from the query string under the snake_case form of its Go
// name (numCalls → num_calls). A POST route reads one JSON object whose keys are the
// snake_case names of all its parameters, scalars included; unknown keys are rejected. A
// missing or null key is a missing parameter. Scalars may be named library types with a
// scalar kind (type Plan string), converted after parsing.
//
// Each parameter is checked in order: present, parses as its type (floats must be finite),
// within Min and Max, one of Enum. The first failure answers 400 naming the parameter. Unknown
// and repeated query parameters are 400 as well.
//
// The success body is a JSON object: one key per non-error result, the snake_case result name,
// or for unnamed results the last path segment (score, or score_1, score_2 for several).
//
// # Errors
//
// Every response, error or not, is application/json. Errors have one shape,
// {"error_message": "...", "result": <status>}, and these codes: 400 for parameters and
// malformed bodies, 404 for unknown paths, 405 with Allow for a served path and another
// method, 413 for a body over the limit (1 MiB, flag -max-body-bytes), 500 for a function that
// returns an error, panics, or returns NaN or an infinity (JSON cannot carry them). A 500 says
// "internal server error" (or "result is not a finite number"); the detail goes to the log
// only, since a library's error text may describe the server's internals.
//
// # Server
//
// main.go listens on -addr, else $ADDR, else ":$PORT" (all interfaces, as container platforms
// that set PORT expect), else 127.0.0.1:8080; it sets read-header, read, write and idle
// timeouts and MaxHeaderBytes (all flags), serves GET /healthz as {"status":"ok"} (liveness),
// GET /readyz (readiness: 503 while shutting down) and GET /metrics, logs JSON lines with
// log/slog through a buffered writer (one access log line per request, with its X-Request-ID),
// and on SIGINT or SIGTERM turns unready, stops accepting and lets requests in flight finish
// within -shutdown-timeout; a second signal exits at once. pprof is served only on the optional
// -admin-addr. With Spec.Artifact the server loads the library's trained values from the
// artifact at -model-url before it listens, and exits with the reason when it cannot.
//
// # Testing seam
//
// api.go declares a routes struct with one func field per library function, and
// newHandler(routes, handlerConfig) http.Handler. The generated tests pass stubs to check
// the HTTP layer alone (arguments parsed from the examples, response keys, every 400 case,
// 404, 405 and Allow, 413, panic recovery, function errors, NaN results), and
// TestLibraryExamples passes the real functions with the examples, unless Route.NoLiveTest.
// A Param's Example must be a value the function accepts; "" derives one inside the bounds
// (1 when the bounds allow it, the first enum value, "example", true, [1] or {}).
//
// # Speed
//
// The hot path uses no reflection beyond encoding/json: query strings are split by hand and
// unescaped only when they contain % or +, parameters are parsed with strconv into locals,
// messages for the usual errors are constants, and the Content-Type header value is shared.
// A GET route with scalar parameters and result makes one allocation per request.
package httpapi
