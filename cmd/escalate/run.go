package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/escalate-app/escalate/bot/console"
	"github.com/escalate-app/escalate/bot/email"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/bot/scheduler"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/workflow"
)

// serve runs the bot until ctx ends. ready, when set, learns the address
// the server listens on (tests listen on port 0).
func serve(ctx context.Context, getenv func(string) string, log *slog.Logger, ready func(listening)) error {
	cfg, err := config.Load(getenv("ESCALATE_CONFIG"), getenv)
	if err != nil {
		return err
	}
	// The practice console runs on a practice clock that moves only when
	// someone presses a time control; Slack and Teams always run on real time.
	now := time.Now
	var clock *console.Clock
	if cfg.Practice() {
		if err := cfg.CheckPracticeConsole(); err != nil {
			return err
		}
		if added := cfg.StandIns(); len(added) > 0 {
			log.Info("practice console: your policy and agencies, with practice people standing in for each role (nobody real is reached)", "config", getenv("ESCALATE_CONFIG"), "stand_ins", len(added))
		}
		if warn := nobodyToPlay(cfg.Directory); warn != "" {
			log.Warn(warn)
		}
		clock = console.NewClock(time.Now())
		now = clock.Now
	}
	a, err := open(ctx, cfg, getenv, log, now)
	if err != nil {
		return err
	}
	defer a.Close()
	env := a.engine.Env()
	if n, err := a.store.UpgradeIndexes(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("store: indexes upgraded to the deadline-ordered layout", "cases", n)
	}

	mux := http.NewServeMux()
	health(mux, a)

	var transports []outbox.Transport
	var inbox *console.Inbox
	if cfg.Practice() {
		inbox = console.NewInbox(now)
		transports = append(transports, inbox)
	}
	var kick func()
	kickProxy := func() {
		if kick != nil {
			kick()
		}
	}
	var background []func(context.Context)
	// SIGHUP reloads the directory (the file's and the imported people)
	// without a restart: starters and leavers take effect at once.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	background = append(background, func(ctx context.Context) { reloadOnSignal(ctx, hup, a, getenv, log) })
	// A changed file reloads the directory too, as SIGHUP would: an
	// administrator who saves the file need not know about signals.
	if path := getenv("ESCALATE_CONFIG"); path != "" {
		background = append(background, func(ctx context.Context) {
			t := time.NewTicker(fileWatchEvery)
			defer t.Stop()
			watchFile(ctx, path, t.C, func() { _ = reloadDirectory(ctx, a, getenv, log) }, log)
		})
	}
	// Entra ID groups and line managers are read from Graph at start and
	// every graph.refresh; a Graph outage keeps the last members read.
	groups, err := groupsRefresher(cfg, a, now, log)
	if err != nil {
		return err
	}
	if groups != nil {
		background = append(background, func(ctx context.Context) {
			t := time.NewTicker(cfg.Graph.Refresh)
			defer t.Stop()
			for {
				_ = refreshGroups(ctx, a, cfg, groups, getenv, log)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	adapters, err := chatAdapters(ctx, cfg, a, mux, kickProxy)
	if err != nil {
		return err
	}
	for _, ad := range adapters {
		transports = append(transports, ad.transport)
		if ad.run != nil {
			background = append(background, ad.run)
		}
	}

	if cfg.EmailEnabled() {
		signer, err := linkSigner(cfg)
		if err != nil {
			return err
		}
		tr, err := emailTransport(cfg, a, signer, now, log)
		if err != nil {
			return err
		}
		transports = append(transports, tr)
		// The page the emails' links open: /link/{token} and /web/.
		if err := webPage(mux, cfg, a, signer, now, log, kickProxy); err != nil {
			return err
		}
	}

	sender := outbox.New(a.store, transports, now, log, a.metrics, outbox.Options{Rand: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))})
	kick = sender.Kick
	sched := scheduler.New(a.store, a.engine, env, a.cal, now, log, a.metrics, scheduler.Options{Tick: cfg.Tick, DigestAt: cfg.DigestAt, AfterTick: sender.Kick})

	if cfg.Practice() {
		drain := func(ctx context.Context) error {
			for i := 0; i < 100; i++ {
				n, err := sender.RunOnce(ctx)
				if err != nil || n == 0 {
					return err
				}
			}
			return nil
		}
		con, err := console.New(a.engine, inbox, clock, a.cal, console.Hooks{Drain: drain, Tick: sched.Tick}, log)
		if err != nil {
			return err
		}
		con.Register(mux)
		log.Info("practice console: no Slack or Teams is configured, so Escalate runs its practice console", "url", "http://"+cfg.Addr+"/")
	} else {
		// In practice the console delivers and ticks as each page is
		// served, so a person sees the result on the next page; everywhere
		// else cron drives the scheduler on real time and the sender drains
		// the outbox continuously.
		background = append(background, sched.Run, func(ctx context.Context) { sender.Run(ctx, 2*time.Second) })
	}

	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	for _, run := range background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(workCtx)
		}()
	}
	servers := []server{{name: "ESCALATE_ADDR", addr: cfg.Addr, handler: instrumented{mux: mux, m: a.metrics}}}
	if cfg.MetricsAddr != config.MetricsOff {
		servers = append(servers, server{name: "ESCALATE_METRICS_ADDR", addr: cfg.MetricsAddr, handler: metricsHandler(a)})
	}
	wait, addrs, err := listen(ctx, servers, log)
	if err != nil {
		stopWork()
		wg.Wait()
		return err
	}
	if ready != nil {
		l := listening{HTTP: addrs[0]}
		if len(addrs) > 1 {
			l.Metrics = addrs[1]
		}
		ready(l)
	}
	err = wait()
	// HTTP has drained; now let the workers finish what they hold.
	stopWork()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// fileWatchEvery is how often the configuration file is looked at for a
// change: a stat, and a read only when its size or time moved.
const fileWatchEvery = 5 * time.Second

// watchFile calls changed each time the file at path has other contents
// than when last looked at (on each tick), until ctx ends. A file being
// rewritten or briefly missing is looked at again on the next tick; its
// contents, not its time, decide, so a touch reloads nothing.
func watchFile(ctx context.Context, path string, ticks <-chan time.Time, changed func(), log *slog.Logger) {
	sum := func() (string, bool) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", false
		}
		h := sha256.Sum256(b)
		return string(h[:]), true
	}
	last, _ := sum()
	var lastStat os.FileInfo
	if fi, err := os.Stat(path); err == nil {
		lastStat = fi
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		fi, err := os.Stat(path)
		if err != nil || (lastStat != nil && fi.Size() == lastStat.Size() && fi.ModTime().Equal(lastStat.ModTime())) {
			continue
		}
		lastStat = fi
		now, ok := sum()
		if !ok || now == last {
			continue
		}
		last = now
		log.Info("directory: the configuration file changed; reloading the directory", "config", path)
		changed()
	}
}

// reloadOnSignal reloads the directory each time sig fires, until ctx ends.
func reloadOnSignal(ctx context.Context, sig <-chan os.Signal, a *app, getenv func(string) string, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			_ = reloadDirectory(ctx, a, getenv, log)
		}
	}
}

// adapter is one chat platform, wired.
type adapter struct {
	transport outbox.Transport
	run       func(context.Context) // Socket Mode and the like; nil when HTTP only
}

// emailTransport delivers to people on email only, with links signed under
// a key derived from ESCALATE_ENCRYPTION_KEY.
func emailTransport(cfg *config.Config, a *app, signer *weblink.Signer, now func() time.Time, log *slog.Logger) (*email.Transport, error) {
	srv, err := config.SMTPServer(cfg.Email.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL %w", err)
	}
	return email.New(email.Options{
		Server: srv, From: cfg.Email.From,
		Links: weblink.Links{Base: cfg.Email.PublicURL, Signer: signer, Now: now},
		Sent:  a.store, Now: now, Log: log,
	})
}

// linkSigner signs the web page's links.
func linkSigner(cfg *config.Config) (*weblink.Signer, error) {
	key, err := base64.StdEncoding.DecodeString(cfg.EncryptionKey)
	if err != nil || len(key) == 0 {
		return nil, errors.New("ESCALATE_ENCRYPTION_KEY is required when SMTP_URL is set: it signs the links in emails; make one with: openssl rand -base64 32")
	}
	return weblink.New(key, cfg.Email.LinkTTL)
}

// nobodyToPlay is the practice console's start-up warning when its
// directory has nobody it can play (no console: ids), else "".
func nobodyToPlay(d workflow.Directory) string {
	for _, p := range d.People {
		if p.ID.Platform() == "console" {
			return ""
		}
	}
	return "practice console: nobody in the directory can be played: give people console: ids in ESCALATE_CONFIG, or leave its directory out to use the practice people"
}
