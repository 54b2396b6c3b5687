// Package loadtest load-tests an extracted service over HTTP on the loopback interface, with
// Vegeta as the load generator.
//
// The pieces are separate so each can be used and tested alone:
//
//   - [Targets] reads the service's OpenAPI document and builds requests from its examples:
//     good ones that must answer 2xx, bad ones (a missing, unparsable, out-of-range or unknown
//     parameter, a malformed body, a wrong method) that must answer 4xx, and a deterministic
//     fuzzed stream that must never answer 5xx. The operational routes (/healthz, /readyz,
//     /metrics) are left out unless asked for, and then checked against their documented
//     content types: Prometheus text is not a failure.
//   - [Run] sends the targets at a constant rate, bounded by a request count and a duration,
//     to a loopback address only, and summarizes the answers in a [Report]: throughput,
//     latency percentiles, status codes, errors, and the answers that broke their target's
//     expectation (a 5xx, a body that is not JSON).
//   - [Baseline] is the part of a report worth committing; [Compare] finds regressions against
//     one.
//   - [Start] builds and runs a repository's cmd/server on a free loopback port, from a
//     trained artifact (given, or trained first with the batch command's train into a
//     temporary directory) when the server loads one, and waits for /readyz.
package loadtest
