package httpapi

import (
	"strconv"
	"strings"
)

// renderMain returns cmd/server/main.go: flags, timeouts, logging, the trained artifact,
// metrics, the admin listener and graceful shutdown.
func renderMain(m *model) []byte {
	var g gen
	g.p("// Command server serves the %s HTTP API (version %s), backed by package", oneLine(m.title), oneLine(m.version))
	g.p("// %s.", m.spec.PkgPath)
	g.WriteString(mainDoc)
	if m.spec.Artifact != nil {
		g.WriteString(mainDocArtifact)
	}
	g.p("package main")
	g.p("")
	g.p("import (")
	for _, imp := range []string{"context", "errors", "flag", "fmt", "io", "log/slog", "net", "net/http", "net/http/pprof", "os", "os/signal", "runtime", "runtime/debug", "runtime/metrics", "strconv", "sync/atomic", "syscall", "time"} {
		g.p("%q", imp)
	}
	if m.spec.Artifact != nil {
		g.p("")
		g.p("%s", m.importLine())
		g.p("%q", m.spec.Artifact.Pkg)
	}
	g.p(")")
	g.p("")
	g.p("// apiVersion is the version of the API that openapi.json describes.")
	g.p("const apiVersion = %q", m.version)
	g.p("")
	body := mainBody
	if m.spec.Artifact != nil {
		body = strings.NewReplacer(
			"\t// ARTIFACT-CONFIG\n", mainArtifactConfig,
			"\t// ARTIFACT-FLAGS\n", mainArtifactFlags,
			"\t// ARTIFACT-LOAD\n", strings.ReplaceAll(strings.ReplaceAll(mainArtifactLoad, "LIB", m.alias), "BATCH", m.spec.Artifact.Batch),
		).Replace(body)
		body += strings.ReplaceAll(mainArtifactFunc, "LIB", m.alias)
	} else {
		body = strings.NewReplacer(
			"\t// ARTIFACT-CONFIG\n", "",
			"\t// ARTIFACT-FLAGS\n", "",
			"\t// ARTIFACT-LOAD\n", "\tartifactVersion, artifactCreated := \"\", time.Time{}\n",
		).Replace(body)
	}
	g.WriteString(body)
	return g.Bytes()
}

// oneLine keeps text meant for a line comment on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

const mainDoc = `//
// Usage:
//
//	server [flags]
//
// The listen address comes from -addr, else $ADDR (host:port), else $PORT (":$PORT", all
// interfaces, as container platforms that set PORT expect), else 127.0.0.1:8080. Run
// "server -h" for every flag; the README lists them with their environment variables.
//
// GET /healthz is liveness (the process serves), GET /readyz readiness (200 once the server
// can answer, 503 while it shuts down), GET /metrics Prometheus metrics. With -admin-addr the
// pprof profiles and the metrics are served on that address too; keep it private.
//
// Logs are JSON lines on stderr: one access log line per request (method, route, status,
// duration, request ID; -access-log=false turns them off), errors with their detail. Lines
// are buffered and written at least every 100ms. X-Request-ID is taken from the request when
// it is sane, else generated, and returned.
//
// Unless $GOGC is set, the garbage collector lets the heap grow 32 MiB past the live data
// between collections (at least Go's default 100%); $GOMEMLIMIT caps it as usual.
//
// SIGINT or SIGTERM shut the server down gracefully: /readyz turns 503, the server stops
// accepting connections and lets requests in flight finish within -shutdown-timeout; a second
// signal exits at once.
`

const mainDocArtifact = `//
// The server never trains. At start it loads the trained values from the artifact at
// -model-url (else $MODEL_URL, else ./model), which the batch command's train wrote; with no
// artifact, or one that does not fit this code, it exits with the reason before it listens.
`

const mainBody = `func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go onSignals(signals, cancel, os.Stderr, os.Exit)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// onSignals starts the graceful shutdown on the first signal and exits at once on the second.
func onSignals(signals <-chan os.Signal, shutdown func(), stderr io.Writer, exit func(int)) {
	s := <-signals
	fmt.Fprintf(stderr, "server: %v: shutting down; a second signal exits at once\n", s)
	shutdown()
	<-signals
	fmt.Fprintln(stderr, "server: second signal: exiting at once")
	exit(1)
}

// config is the server's configuration, from flags and the environment.
type config struct {
	addr              string
	adminAddr         string
	accessLog         bool
	version           bool
	maxBodyBytes      int64
	maxHeaderBytes    int
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	shutdownTimeout   time.Duration
	// ARTIFACT-CONFIG
}

// defaultAddr is the listen address when -addr is not given.
func defaultAddr(getenv func(string) string) string {
	if a := getenv("ADDR"); a != "" {
		return a
	}
	if p := getenv("PORT"); p != "" {
		return ":" + p
	}
	return "127.0.0.1:8080"
}

// envBool is the boolean in an environment variable's value, def when it is unset or not one.
func envBool(v string, def bool) bool {
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return def
}

// parseConfig reads the flags in args; getenv supplies the environment variables.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.addr, "addr", defaultAddr(getenv), "listen ` + "`address`" + ` (host:port); the default comes from $ADDR, then :$PORT")
	fs.StringVar(&c.adminAddr, "admin-addr", getenv("ADMIN_ADDR"), "also serve pprof and /metrics on this ` + "`address`" + `; off when empty (env ADMIN_ADDR)")
	fs.BoolVar(&c.accessLog, "access-log", envBool(getenv("ACCESS_LOG"), true), "log one line per request (env ACCESS_LOG)")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", defaultMaxBodyBytes, "request body limit in ` + "`bytes`" + `; larger bodies get 413")
	fs.IntVar(&c.maxHeaderBytes, "max-header-bytes", 64<<10, "request header limit in ` + "`bytes`" + `")
	fs.DurationVar(&c.readHeaderTimeout, "read-header-timeout", 5*time.Second, "time to read the request headers")
	fs.DurationVar(&c.readTimeout, "read-timeout", 10*time.Second, "time to read a whole request")
	fs.DurationVar(&c.writeTimeout, "write-timeout", 30*time.Second, "time to compute and write a response")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 2*time.Minute, "time a keep-alive connection may stay idle")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 15*time.Second, "time requests in flight get to finish on SIGINT or SIGTERM")
	// ARTIFACT-FLAGS
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.maxBodyBytes <= 0 || c.maxHeaderBytes <= 0 {
		return config{}, errors.New("-max-body-bytes and -max-header-bytes must be positive")
	}
	for _, d := range []time.Duration{c.readHeaderTimeout, c.readTimeout, c.writeTimeout, c.idleTimeout, c.shutdownTimeout} {
		if d <= 0 {
			return config{}, errors.New("timeouts must be positive")
		}
	}
	return c, nil
}

// versionLine is what -version prints.
func versionLine() string {
	return "server " + apiVersion + " (revision " + buildRevision() + ", " + runtime.Version() + ")"
}

// run serves the API with the library's functions until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.version {
		fmt.Fprintln(stdout, versionLine())
		return nil
	}
	logs := newLogWriter(stderr, 100*time.Millisecond)
	defer logs.Close()
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	// ARTIFACT-LOAD
	setGCHeadroom(getenv)
	var ready atomic.Bool
	obs := newObserver(logs, cfg.accessLog, artifactVersion, artifactCreated)
	h := newHandler(libraryRoutes(), handlerConfig{MaxBodyBytes: cfg.maxBodyBytes, Logger: logger, Ready: ready.Load, Metrics: obs.metricsHandler()})
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	if cfg.adminAddr != "" {
		aln, err := net.Listen("tcp", cfg.adminAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listening on the admin address: %w", err)
		}
		admin := newServer(cfg, adminHandler(obs.metricsHandler()), logger)
		go admin.Serve(aln)
		defer admin.Close()
		logger.Info("admin listening", "addr", aln.Addr().String())
	}
	go func() {
		<-ctx.Done()
		ready.Store(false) // load balancers stop sending while requests in flight finish
	}()
	ready.Store(true)
	logger.Info("listening", "addr", ln.Addr().String(), "version", apiVersion)
	return serve(ctx, ln, newServer(cfg, obs.wrap(h), logger), cfg.shutdownTimeout, logger)
}

// gcHeadroom is how far the heap may grow past the live data before the next collection,
// unless $GOGC says otherwise. Each collection marks the whole live heap, which is mostly what
// never changes (the trained values, the storage drivers' tables), and with Go's default of a
// collection each time the heap doubles, a server with a small heap collects every few MB of
// requests. 32 MiB of headroom makes that an order of magnitude rarer, well within the
// Deployment's memory limit; a heap over 32 MiB keeps the default.
const gcHeadroom = 32 << 20

// setGCHeadroom sets the GC percentage so that the heap may grow by gcHeadroom past the live
// data, and never below the default 100%, unless the environment sets GOGC. Call it once the
// artifact is loaded, so the live data includes it.
func setGCHeadroom(getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() != metrics.KindUint64 || live[0].Value.Uint64() == 0 {
		return
	}
	if percent := gcHeadroom * 100 / live[0].Value.Uint64(); percent > 100 {
		debug.SetGCPercent(int(percent))
	}
}

// adminHandler serves the pprof profiles and the metrics, for the admin address only.
func adminHandler(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/metrics", metrics)
	return mux
}

// newServer returns an http.Server with the configured timeouts and limits.
func newServer(cfg config, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.readHeaderTimeout,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       cfg.idleTimeout,
		MaxHeaderBytes:    cfg.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serve answers on ln until ctx is done, then shuts srv down, giving requests in flight
// shutdownTimeout to finish.
func serve(ctx context.Context, ln net.Listener, srv *http.Server, shutdownTimeout time.Duration, logger *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(serverListener{ln}) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	<-errc // http.ErrServerClosed
	return nil
}
`

const mainArtifactConfig = `	modelURL          string
	modelVersion      string
`

const mainArtifactFlags = `	fs.StringVar(&c.modelURL, "model-url", artifact.DefaultURL(getenv), "load the trained artifact from this ` + "`url`" + `: file:///dir, s3://bucket, gs://bucket, azblob://container or a directory; s3://, gs:// and azblob:// need the build tag s3, gcs or azblob (env MODEL_URL)")
	fs.StringVar(&c.modelVersion, "model-version", getenv("MODEL_VERSION"), "artifact ` + "`version`" + ` to load; empty means the current one (env MODEL_VERSION)")
`

const mainArtifactLoad = `	m, err := loadArtifact(ctx, cfg.modelURL, cfg.modelVersion)
	if errors.Is(err, artifact.ErrNoDriver) {
		return fmt.Errorf("loading the trained artifact: %w", err)
	}
	if err != nil {
		return fmt.Errorf("loading the trained artifact from %s: %w (train writes it: BATCH train -model-url %s)", cfg.modelURL, err, cfg.modelURL)
	}
	if m.NotebookSHA256 != artifact.NotebookSHA256 {
		logger.Warn("the artifact was trained from another version of the notebook", "artifact_notebook_sha256", m.NotebookSHA256, "code_notebook_sha256", artifact.NotebookSHA256)
	}
	logger.Info("artifact loaded", "url", cfg.modelURL, "version", m.Version, "created_at", m.CreatedAt, "code_revision", m.CodeRevision, "input_fingerprint", m.InputFingerprint)
	artifactVersion, artifactCreated := m.Version, m.CreatedAt
`

const mainArtifactFunc = `
// loadArtifact reads the artifact at url (version, or the current one) and installs its
// trained values in the library, so that no request trains.
func loadArtifact(ctx context.Context, url, version string) (artifact.Manifest, error) {
	b, err := artifact.OpenBucket(ctx, url, false)
	if err != nil {
		return artifact.Manifest{}, err
	}
	defer b.Close()
	m, values, err := artifact.Load(ctx, b, version)
	if err != nil {
		return artifact.Manifest{}, err
	}
	if err := LIB.LoadTrained(values); err != nil {
		return artifact.Manifest{}, fmt.Errorf("artifact version %s: %w", m.Version, err)
	}
	return m, nil
}
`

// quoteList returns the Go literals of strs joined by ", ".
func quoteList(strs []string) string {
	q := make([]string, len(strs))
	for i, s := range strs {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
