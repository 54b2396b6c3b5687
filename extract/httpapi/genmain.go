package httpapi

import (
	"strconv"
	"strings"
)

// renderMain returns cmd/server/main.go: flags, timeouts, logging and graceful shutdown.
func renderMain(m *model) []byte {
	var g gen
	g.p("// Command server serves the %s HTTP API (version %s), backed by package", oneLine(m.title), oneLine(m.version))
	g.p("// %s.", m.spec.PkgPath)
	g.WriteString(mainDoc)
	g.p("package main")
	g.p("")
	g.p("import (")
	for _, imp := range []string{"context", "errors", "flag", "fmt", "io", "log/slog", "net", "net/http", "os", "os/signal", "syscall", "time"} {
		g.p("%q", imp)
	}
	g.p(")")
	g.p("")
	g.WriteString(mainBody)
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
// "server -h" for the timeout and size flags.
//
// SIGINT or SIGTERM shut the server down gracefully: it stops accepting connections and lets
// requests in flight finish within -shutdown-timeout; a second signal exits at once. Logs are
// JSON lines on stderr; request details are logged only for 500 responses.
`

const mainBody = `func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// config is the server's configuration, from flags and the environment.
type config struct {
	addr              string
	maxBodyBytes      int64
	maxHeaderBytes    int
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	shutdownTimeout   time.Duration
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

// parseConfig reads the flags in args; getenv supplies ADDR and PORT.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.addr, "addr", defaultAddr(getenv), "listen ` + "`address`" + ` (host:port); the default comes from $ADDR, then :$PORT")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", defaultMaxBodyBytes, "request body limit in ` + "`bytes`" + `; larger bodies get 413")
	fs.IntVar(&c.maxHeaderBytes, "max-header-bytes", 64<<10, "request header limit in ` + "`bytes`" + `")
	fs.DurationVar(&c.readHeaderTimeout, "read-header-timeout", 5*time.Second, "time to read the request headers")
	fs.DurationVar(&c.readTimeout, "read-timeout", 10*time.Second, "time to read a whole request")
	fs.DurationVar(&c.writeTimeout, "write-timeout", 30*time.Second, "time to compute and write a response")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 2*time.Minute, "time a keep-alive connection may stay idle")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 15*time.Second, "time requests in flight get to finish on SIGINT or SIGTERM")
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

// run serves the API with the library's functions until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	h := newHandler(libraryRoutes(), handlerConfig{MaxBodyBytes: cfg.maxBodyBytes, Logger: logger})
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	logger.Info("listening", "addr", ln.Addr().String())
	return serve(ctx, ln, newServer(cfg, h, logger), cfg.shutdownTimeout, logger)
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
	go func() { errc <- srv.Serve(jsonErrorListener{ln}) }()
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

// quoteList returns the Go literals of strs joined by ", ".
func quoteList(strs []string) string {
	q := make([]string, len(strs))
	for i, s := range strs {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
