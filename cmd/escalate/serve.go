package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/metrics"
	"github.com/escalate-app/escalate/bot/web"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

// app is everything one running Escalate holds.
type app struct {
	cfg     *config.Config
	store   *store.Store
	engine  *engine.Engine
	cal     *calendar.Calendar
	metrics *metrics.Metrics
	names   *directory.Names
	log     *slog.Logger
	closers []func()
}

func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// feedPlatforms are the platforms whose business-team channel gets the feed.
func feedPlatforms(cfg *config.Config) []string {
	var p []string
	if cfg.SlackEnabled() && cfg.Slack.FeedChannel != "" {
		p = append(p, "slack")
	}
	if cfg.TeamsEnabled() && cfg.Teams.FeedConversation != "" {
		p = append(p, "teams")
	}
	if cfg.Practice() {
		p = append(p, "console")
	}
	return p
}

// open loads the configuration and connects the store; the practice
// console's clock (or the real one) comes in as now.
func open(ctx context.Context, cfg *config.Config, getenv func(string) string, log *slog.Logger, now func() time.Time) (*app, error) {
	env, cal, err := cfg.WorkflowEnv()
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	a := &app{cfg: cfg, cal: cal, log: log}
	prefix, err := redisPrefix(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Practice() {
		// The practice console keeps keys of its own, so that one run
		// against a real deployment's Redis (ESCALATE_ENV=practice) never
		// mixes its made-up cases with real ones.
		prefix = practicePrefix + prefix
	}
	opts := store.Options{Prefix: prefix, FeedPlatforms: feedPlatforms(cfg), Now: now,
		// The event stream keeps what retention keeps: nothing of it
		// outlives the period the partnership keeps its records for.
		StreamKeep: time.Duration(cfg.RetentionDays) * 24 * time.Hour}
	if len(cfg.EncryptionKeys) > 0 {
		c, err := store.NewKeyring(cfg.EncryptionKeys...)
		if err != nil {
			return nil, fmt.Errorf("ESCALATE_ENCRYPTION_KEYS / ESCALATE_ENCRYPTION_KEY: %w", err)
		}
		opts.Cipher = c
	}
	url := cfg.Redis.URL
	var st *store.Store
	switch {
	case url == "" && len(cfg.Redis.Sentinel.Addrs) == 0 && len(cfg.Redis.ClusterAddrs) == 0:
		u, closeEmbedded, err := store.Embedded()
		if err != nil {
			return nil, fmt.Errorf("start the embedded Redis: %w", err)
		}
		a.closers = append(a.closers, closeEmbedded)
		log.Warn("REDIS_URL is not set: using an embedded in-memory Redis. NOTHING WILL SURVIVE A RESTART. Set REDIS_URL for real use.")
		if cfg.Practice() {
			log.Info("administrators' commands reach this practice console's store while it runs", "try", envConsoleRedis+"="+u+" escalate outbox")
		}
		url = u
		fallthrough
	case url != "":
		st, err = store.Open(ctx, url, opts)
	default:
		st, err = store.OpenUniversal(ctx, universalOptions(cfg.Redis), opts)
	}
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("connect to Redis: %w", err)
	}
	a.closers = append(a.closers, func() { _ = st.Close() })
	a.store = st
	dir, err := runningDirectory(ctx, cfg, st, log)
	if err != nil {
		a.Close()
		return nil, err
	}
	env.Directory = dir
	a.metrics = metrics.New(st, now)
	a.engine = engine.New(st, env, now, log, a.metrics)
	// People the directory does not list are named from their platform
	// (the adapters register their look-ups), kept in the store.
	a.names = directory.NewNames(st, now, log.With("part", "names"), a.metrics)
	a.engine.UseNamer(a.names)
	return a, nil
}

// runningDirectory is the directory Escalate runs with: the configuration
// file's, and the people imported with `escalate directory import` joined
// to it (the file wins for anyone in both).
func runningDirectory(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (*workflow.Directory, error) {
	imported, meta, err := st.ImportedPeople(ctx)
	if err != nil {
		return nil, err
	}
	grouped, readAt, err := st.GroupPeople(ctx)
	if err != nil {
		return nil, err
	}
	d := cfg.Directory
	// An Entra group's entry is not a person anyone can be shown or
	// chosen as: its members, as Graph last named them, stand in its place.
	d.People = slices.DeleteFunc(slices.Clone(d.People), func(p workflow.Person) bool { return p.ID.Platform() == directory.EntraGroupPlatform })
	if len(imported) > 0 {
		kept, dropped := cfg.StillValid(imported)
		d = config.WithImported(d, kept)
		log.Info("directory: imported people added", "entries", len(kept), "source", meta.Source, "imported_at", meta.At)
		if dropped > 0 {
			log.Warn("directory: imported people whose agency or role the configuration no longer has were left out; import the file again", "left_out", dropped)
		}
	}
	if len(grouped) > 0 {
		kept, _ := cfg.StillValid(grouped)
		d = config.WithImported(d, kept)
		log.Info("directory: Entra groups' members and managers added", "entries", len(kept), "read_at", readAt)
	}
	return &d, nil
}

// refreshGroups reads the directory's Entra groups and line managers from
// Graph and, when that worked, hands the engine the directory with them;
// when Graph is down the last known members keep working (Groups logs and
// counts it).
func refreshGroups(ctx context.Context, a *app, cfg *config.Config, g *directory.Groups, getenv func(string) string, log *slog.Logger) error {
	// The file is read again so that groups added or removed since start
	// (SIGHUP, or the file changed) are the ones read.
	if c, err := config.Load(getenv("ESCALATE_CONFIG"), getenv); err == nil {
		cfg = c
	}
	if _, err := g.Refresh(ctx, &cfg.Directory); err != nil {
		return err
	}
	return reloadDirectory(ctx, a, getenv, log)
}

// groupsRefresher is the Entra groups' reader, nil when the configuration
// names no group and does not take line managers from Entra ID.
func groupsRefresher(cfg *config.Config, a *app, now func() time.Time, log *slog.Logger) (*directory.Groups, error) {
	if !cfg.GraphEnabled() || (len(cfg.EntraGroups()) == 0 && !cfg.Graph.LineManagers) {
		return nil, nil
	}
	gc, err := graphClient(cfg)
	if err != nil {
		return nil, err
	}
	return &directory.Groups{Graph: gc, Store: a.store, Now: now, Log: log.With("part", "groups"), Metrics: a.metrics, LineManagers: cfg.Graph.LineManagers}, nil
}

// reloadDirectory reads the configuration file's directory and the
// imported people again and hands the engine the result: what SIGHUP
// does. A file that no longer loads changes nothing (the last directory
// keeps working) and says why. Only the directory is reloaded: a changed
// policy, calendar or platform setting needs a restart.
func reloadDirectory(ctx context.Context, a *app, getenv func(string) string, log *slog.Logger) error {
	cfg, err := config.Load(getenv("ESCALATE_CONFIG"), getenv)
	if err != nil {
		log.Error("directory reload: the configuration does not load; the last directory stays in use", "err", err)
		return fmt.Errorf("reload the directory: %w", err)
	}
	dir, err := runningDirectory(ctx, cfg, a.store, log)
	if err != nil {
		log.Error("directory reload: the imported people cannot be read; the last directory stays in use", "err", err)
		return fmt.Errorf("reload the directory: %w", err)
	}
	a.engine.SetDirectory(dir)
	log.Info("directory reloaded", "agencies", len(dir.Agencies), "entries", len(dir.People))
	return nil
}

// webPage serves the page for people on email: GET /link/{token} and /web/.
func webPage(mux *http.ServeMux, cfg *config.Config, a *app, signer *weblink.Signer, now func() time.Time, log *slog.Logger, kick func()) error {
	page, err := web.New(web.Options{Engine: a.engine, Store: a.store, Signer: signer, PublicURL: cfg.Email.PublicURL, Now: now, Log: log.With("part", "web"), Kick: kick})
	if err != nil {
		return err
	}
	page.Register(mux)
	return nil
}

// health serves /healthz (the process is alive) and /readyz (Redis answers
// and the configuration is valid: it was, or we would not be running).
// /metrics is not among them: it has a listener of its own (metricsHandler).
func health(mux *http.ServeMux, a *app) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.store.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "redis": "not taking writes"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "redis": "ok", "config": "valid"})
	})
}

// metricsHandler is all the metrics listener serves: /metrics and nothing
// else, so no public route is reachable through it and it through none.
func metricsHandler(a *app) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// instrumented wraps every route so /metrics has HTTP latencies by route.
type instrumented struct {
	mux *http.ServeMux
	m   *metrics.Metrics
}

func (i instrumented) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := i.mux.Handler(r)
	if pattern == "" {
		pattern = "unmatched"
	}
	i.m.Instrument(pattern, i.mux).ServeHTTP(w, r)
}

// listening is where a running Escalate listens; Metrics is nil when
// ESCALATE_METRICS_ADDR is "off".
type listening struct {
	HTTP, Metrics net.Addr
}

// server is one listener Escalate serves: the public routes, or metrics.
type server struct {
	name    string // the environment variable that sets its address
	addr    string
	handler http.Handler
}

// listen starts every server and shuts them all down gracefully when ctx
// ends: requests in flight finish, then background workers stop. Either
// listener failing to bind stops start-up, naming its variable, so nobody
// runs a bot whose metrics they believe are private but are not served.
//
// It returns the bound addresses and a wait that blocks until ctx ends (or
// a server fails, which stops the others too) and everything has drained.
func listen(ctx context.Context, servers []server, log *slog.Logger) (wait func() error, addrs []net.Addr, err error) {
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}
	for _, s := range servers {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("listen on %s %s: %w", s.name, s.addr, err)
		}
		lns = append(lns, ln)
	}
	addrs = make([]net.Addr, len(lns))
	srvs := make([]*http.Server, len(lns))
	errs := make(chan error, len(lns))
	var wg sync.WaitGroup
	for i, ln := range lns {
		addrs[i] = ln.Addr()
		srvs[i] = &http.Server{Handler: servers[i].handler, ReadHeaderTimeout: 10 * time.Second}
		log.Info("listening", "on", servers[i].name, "addr", ln.Addr().String())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srvs[i].Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s %s: %w", servers[i].name, ln.Addr(), err)
			}
		}()
	}
	wait = func() error {
		var failed error
		select {
		case <-ctx.Done():
		case failed = <-errs:
		}
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for _, srv := range srvs {
			if err := srv.Shutdown(sctx); err != nil {
				log.Error("graceful shutdown", "err", err)
			}
		}
		wg.Wait()
		return failed
	}
	return wait, addrs, nil
}

// universalOptions are go-redis's options for a Sentinel-managed primary or
// a Cluster (a single server is opened from REDIS_URL instead).
func universalOptions(r config.Redis) *redis.UniversalOptions {
	o := &redis.UniversalOptions{Password: r.Password}
	switch {
	case len(r.Sentinel.Addrs) > 0:
		o.Addrs = append([]string(nil), r.Sentinel.Addrs...)
		o.MasterName = r.Sentinel.MasterName
	case len(r.ClusterAddrs) > 0:
		o.Addrs = append([]string(nil), r.ClusterAddrs...)
		o.IsClusterMode = true
	}
	if r.TLS {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// The timeouts and retries that make a failover quick are the
	// store's (store.FailoverDefaults, applied by OpenUniversal).
	return o
}

// redisPrefix starts every key: ESCALATE_REDIS_PREFIX lets two deployments
// (staging and production, say) share one Redis without meeting. Braces
// are refused: Escalate's keys share one hash tag, "{esc}", so that each
// transition is one atomic script on a Redis Cluster too, and a tag in the
// prefix would take its place.
// practicePrefix starts the practice console's keys, before the
// deployment's prefix: "practice:esc:{esc}:…" beside the bot's "esc:{esc}:…".
const practicePrefix = "practice:"

func redisPrefix(getenv func(string) string) (string, error) {
	p := getenv("ESCALATE_REDIS_PREFIX")
	if p == "" {
		return "esc:", nil
	}
	if strings.ContainsAny(p, "{}") {
		return "", fmt.Errorf("ESCALATE_REDIS_PREFIX: %q must not contain { or }: Escalate's keys share one hash tag of their own", p)
	}
	return p, nil
}
