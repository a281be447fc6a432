package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/bot/report/reporttest"
	"github.com/escalate-app/escalate/bot/scheduler"
	"github.com/escalate-app/escalate/bot/slack"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
	"github.com/escalate-app/escalate/workflow/calendar"
)

// Options says what to measure.
type Options struct {
	// RedisURL is the Redis to measure against (redis://host:port/db).
	RedisURL string
	// Open is how many quiet open cases the store holds besides those the
	// figures use (default 100,000; the figures are at 1,000,000).
	Open int
	// Quick runs every figure at a small size, in seconds: for tests of
	// the command, not for figures.
	Quick bool
	// RedisBenchmark is the redis-benchmark program ("" looks it up on
	// PATH; "-" does not run it).
	RedisBenchmark string
	Log            *slog.Logger
}

// sizes are one run's numbers.
type sizes struct {
	open, many, few, due, period int
	rate, clickRate              int           // requests per second
	flood                        time.Duration // how long each list flood lasts
	transitions                  time.Duration
	benchN                       int // redis-benchmark requests
}

func (o Options) sizes() sizes {
	if o.Quick {
		return sizes{open: 200, many: 300, few: 20, due: 50, period: 30, rate: 100, clickRate: 10,
			flood: 500 * time.Millisecond, transitions: 500 * time.Millisecond, benchN: 5000}
	}
	open := o.Open
	if open <= 0 {
		open = 100_000
	}
	return sizes{open: open, many: 10_000, few: 20, due: 1_000, period: 300, rate: 200, clickRate: 20,
		flood: 10 * time.Second, transitions: 10 * time.Second, benchN: 200_000}
}

// The people of the bench, added to the seeded partnership's directory.
const (
	uFew   workflow.UserID = "slack:UBENCHFEW"  // 20 open cases
	uMany  workflow.UserID = "slack:UBENCHMANY" // 10,000 open cases
	uClick workflow.UserID = "slack:UBENCHCLK"  // the other side of uFew's cases: clicks while uMany floods
	uQuiet workflow.UserID = "slack:UBENCHQ1"
	uOther workflow.UserID = "slack:UBENCHQ2"
)

// Run measures every figure and prints it to out.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RedisURL == "" {
		return errors.New("bench: name the Redis to measure against (--redis redis://host:port/db)")
	}
	sz := o.sizes()
	prefix := "bench:" + randomHex(6) + ":"
	clock := &clock{t: time.Date(2027, 1, 4, 10, 0, 0, 0, mustLondon())}
	st, err := store.Open(ctx, o.RedisURL, store.Options{Prefix: prefix, FeedPlatforms: []string{"slack"}, Now: clock.Now})
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() {
		// Everything of the bench's prefix goes, whatever happened.
		n, cerr := deletePrefix(context.WithoutCancel(ctx), st.Client(), prefix)
		if cerr != nil {
			fmt.Fprintf(out, "cleaning up %s*: %v\n", prefix, cerr)
		} else {
			fmt.Fprintf(out, "cleaned up: %d keys of %s* deleted\n", n, prefix)
		}
		_ = st.Close()
	}()
	cal, err := calendar.New(calendar.Config{Region: calendar.EnglandAndWales, Location: mustLondon()})
	if err != nil {
		return fmt.Errorf("bench: calendar: %w", err)
	}
	env := reporttest.Env(cal)
	for _, p := range []workflow.UserID{uFew, uMany, uClick, uQuiet, uOther} {
		env.Directory.People = append(env.Directory.People, workflow.Person{ID: p, Name: "Bench " + p.Local(), Agency: agencyOf(p), Role: workflow.RolePractitioner})
	}
	b := &bench{ctx: ctx, o: o, sz: sz, out: out, st: st, env: env, cal: cal, clock: clock, prefix: prefix}
	b.eng = engine.New(st, env, clock.Now, o.Log, nil)
	b.sched = scheduler.New(st, b.eng, env, cal, clock.Now, o.Log, nil, scheduler.Options{DigestOff: true})
	return b.run()
}

type bench struct {
	ctx    context.Context
	o      Options
	sz     sizes
	out    io.Writer
	st     *store.Store
	env    workflow.Env
	cal    *calendar.Calendar
	clock  *clock
	prefix string
	eng    *engine.Engine
	sched  *scheduler.Scheduler
	rows   []row
}

// row is one printed figure.
type row struct{ name, value, goal, ratio string }

func (b *bench) add(name, value, goal string, ratio float64) {
	r := row{name: name, value: value, goal: goal, ratio: "—"}
	if !math.IsNaN(ratio) && !math.IsInf(ratio, 0) {
		r.ratio = fmt.Sprintf("%.2f", ratio)
	}
	b.rows = append(b.rows, r)
	fmt.Fprintf(b.out, "%-52s %-34s %-22s %s\n", r.name, r.value, r.goal, r.ratio)
}

func (b *bench) run() error {
	info := redisInfo(b.ctx, b.st.Client())
	fmt.Fprintf(b.out, "Escalate bench: %s (Redis %s), key prefix %s, %d quiet open cases%s\n",
		redactURL(b.o.RedisURL), info["redis_version"], b.prefix, b.sz.open, map[bool]string{true: " (--quick: sizes for a test, not figures)"}[b.o.Quick])
	fmt.Fprintf(b.out, "machine: %s/%s, %d CPUs (%s), %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version())

	// Memory per open case: what the quiet cases add to Redis.
	before := usedMemory(b.ctx, b.st.Client())
	t0 := time.Now()
	if err := b.seedQuiet(); err != nil {
		return err
	}
	perCase := float64(usedMemory(b.ctx, b.st.Client())-before) / float64(b.sz.open)
	fmt.Fprintf(b.out, "seeded %d quiet open cases in %s\n", b.sz.open, time.Since(t0).Round(time.Millisecond))
	if err := b.seedPeople(); err != nil {
		return err
	}
	due, err := b.raiseDue()
	if err != nil {
		return err
	}
	if err := b.seedPeriod(); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "%-52s %-34s %-22s %s\n", "figure", "value", "goal", "ratio to goal")

	if err := b.lists(); err != nil {
		return err
	}
	if err := b.audit(due); err != nil {
		return err
	}
	if err := b.digest(); err != nil {
		return err
	}
	if err := b.report(); err != nil {
		return err
	}
	if err := b.tick(due); err != nil {
		return err
	}
	if err := b.transitions(due); err != nil {
		return err
	}
	b.add("memory per open case (INFO used_memory delta)", fmt.Sprintf("%.0f B (%.2f KiB)", perCase, perCase/1024), "≤ 4 KiB", perCase/4096)
	return nil
}

// quietCase is an open case at stage 1 whose window closes months away.
func (b *bench) quietCase(ref string, raiser, responder workflow.UserID, now time.Time) *workflow.Result {
	far := b.cal.AddWorkingDays(now, 120)
	d := &workflow.Dispute{
		Ref: ref, PolicyID: b.env.Policy.ID, SubjectType: workflow.SubjectChild,
		Category: workflow.CatThresholds, Raiser: workflow.Party{Agency: agencyOf(raiser), Person: raiser},
		Responder: workflow.Party{Agency: agencyOf(responder), Person: responder}, Stage: 1, State: workflow.StateOpen,
		Holders:      []workflow.StageHolders{{Stage: 1, Raiser: []workflow.UserID{raiser}, Responder: []workflow.UserID{responder}, Since: now}},
		StageVersion: 1, StageStarted: now, Deadline: far, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	return &workflow.Result{Dispute: d, Events: []workflow.Event{{Ref: ref, Seq: 1, Kind: workflow.CmdRaise, Actor: raiser, At: now, Stage: 1, Summary: "Raised"}},
		ClearTimers: true, Timers: workflow.StageTimers(b.cal, d, b.env.Policy, now)}
}

// commitAll seeds n results (store.CommitAll).
func (b *bench) commitAll(n int, mk func(i int) *workflow.Result) error {
	if err := b.st.CommitAll(b.ctx, n, mk); err != nil {
		return fmt.Errorf("bench: seed: %w", err)
	}
	return nil
}

func (b *bench) seedQuiet() error {
	now := b.clock.Now()
	return b.commitAll(b.sz.open, func(i int) *workflow.Result {
		return b.quietCase(workflow.FormatRef(2040, i+1), uQuiet, uOther, now)
	})
}

// seedPeople gives uFew 20 open cases (uClick on the other side) and uMany
// 10,000.
func (b *bench) seedPeople() error {
	now := b.clock.Now()
	if err := b.commitAll(b.sz.few, func(i int) *workflow.Result {
		return b.quietCase(workflow.FormatRef(2041, i+1), uFew, uClick, now)
	}); err != nil {
		return err
	}
	return b.commitAll(b.sz.many, func(i int) *workflow.Result {
		return b.quietCase(workflow.FormatRef(2042, i+1), uMany, uOther, now)
	})
}

// raiseDue raises the cases whose timers the tick fires, through the
// engine, at the clock's time.
func (b *bench) raiseDue() ([]string, error) {
	refs := make([]string, b.sz.due)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.sz.due; i += 4 {
				res, err := b.eng.Raise(b.ctx, uQuiet, workflow.RaiseInput{
					SubjectType: workflow.SubjectChild, SubjectRef: "BENCH-" + strconv.Itoa(i), Category: workflow.CatThresholds,
					DecisionDisputed: "No strategy meeting", Plan: workflow.PlanChildInNeed,
					Disagreement: "A disagreement of a few sentences, as practitioners write them.", OutcomeSought: "A meeting this week",
					Evidence:        "Two referrals in a month",
					ResponderAgency: agencyOf(uOther), Responder: uOther,
				}, "bench-raise-"+strconv.Itoa(i))
				if err != nil {
					var r *workflow.Refusal
					if errors.As(err, &r) {
						err = fmt.Errorf("%w %v", err, r.Fields)
					}
					errs <- fmt.Errorf("bench: raise: %w", err)
					return
				}
				refs[i] = res.Dispute.Ref
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	// The raises' messages are not the figures': drain them.
	for {
		its, err := b.st.ClaimOutbox(b.ctx, b.clock.Now().Add(time.Hour), 1000, 365*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("bench: drain the outbox: %w", err)
		}
		for _, it := range its {
			if err := b.st.AckOutbox(b.ctx, it); err != nil {
				return nil, fmt.Errorf("bench: drain the outbox: %w", err)
			}
		}
		if len(its) < 1000 {
			return refs, nil
		}
	}
}

// The board report's period: the last quarter of 2026, before every other
// case was raised.
var (
	periodFrom = time.Date(2026, 10, 1, 0, 0, 0, 0, mustLondon())
	periodTo   = time.Date(2027, 1, 1, 0, 0, 0, 0, mustLondon())
)

// seedPeriod writes the report's period: generated cases raised in it,
// as they stand when they closed (those still open at the generator's
// horizon are left out, so no timer of theirs falls due in the figures).
func (b *bench) seedPeriod() error {
	seeded, err := reporttest.Seed(b.env, 17, b.sz.period, periodFrom, 60*24*time.Hour, nil)
	if err != nil {
		return fmt.Errorf("bench: seed the report's period: %w", err)
	}
	var closed []*workflow.Result
	for _, c := range seeded.Cases {
		if c.Dispute.State.Closed() {
			closed = append(closed, &workflow.Result{Dispute: c.Dispute, Events: c.Events, ClearTimers: true})
		}
	}
	return b.commitAll(len(closed), func(i int) *workflow.Result { return closed[i] })
}

func (b *bench) audit(due []string) error {
	if err := b.st.CheckedChanged(b.ctx, math.MaxFloat64); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	changed := min(1000, len(due))
	if err := b.notes(due[:changed], 4); err != nil {
		return err
	}
	u0 := b.serverTime()
	t0 := time.Now()
	rep, err := b.sched.Audit(b.ctx)
	took := time.Since(t0)
	server := b.serverTime() - u0
	if err != nil {
		return fmt.Errorf("bench: audit: %w", err)
	}
	b.add(fmt.Sprintf("auditor, one run (%d open, %d changed, %d swept)", rep.Open, rep.Changed, rep.Swept),
		fmt.Sprintf("%s (Redis %s)", ms(took), ms(server)), "≤ 1 s", took.Seconds())
	return nil
}

// notes adds a note to each case, with clients at once.
func (b *bench) notes(refs []string, clients int) error {
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(refs); i += clients {
				if _, err := b.eng.Do(b.ctx, refs[i], workflow.Command{Kind: workflow.CmdComment, Actor: uQuiet, Text: "Spoke to the school"}, ""); err != nil {
					errs <- fmt.Errorf("bench: note on %s: %w", refs[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (b *bench) digest() error {
	now := b.cal.NextWorkingStart(b.clock.Now().Add(24 * time.Hour))
	var best time.Duration
	var m workflow.Message
	for i := range 3 {
		t0 := time.Now()
		var err error
		m, err = b.sched.BuildDigest(b.ctx, now)
		if took := time.Since(t0); i == 0 || took < best {
			best = took
		}
		if err != nil {
			return fmt.Errorf("bench: digest: %w", err)
		}
	}
	open := ""
	if len(m.Facts) > 0 {
		open = m.Facts[0].Value
	}
	b.add(fmt.Sprintf("digest (%s open, best of 3)", open), ms(best), "≤ 100 ms", best.Seconds()/0.1)
	return nil
}

func (b *bench) report() error {
	t0 := time.Now()
	cases, err := report.Load(b.ctx, b.st, periodFrom, periodTo)
	if err != nil {
		return fmt.Errorf("bench: report: %w", err)
	}
	r := report.Compute(b.env, cases, periodFrom, periodTo)
	took := time.Since(t0)
	b.add(fmt.Sprintf("board report (%d cases in the period)", len(r.Cases)), ms(took), "O(cases in the period)", math.NaN())
	return nil
}

func (b *bench) tick(due []string) error {
	// Every due case was raised at once: their first timers fall due together.
	ts, err := b.st.Timers(b.ctx, due[0])
	if err != nil || len(ts) == 0 {
		return fmt.Errorf("bench: the due cases' timers: %v (%d)", err, len(ts))
	}
	b.clock.Set(ts[0].Due)
	u0 := b.serverTime()
	t0 := time.Now()
	rep, err := b.sched.TickReport(b.ctx)
	took := time.Since(t0)
	server := b.serverTime() - u0
	if err != nil {
		return fmt.Errorf("bench: tick: %w", err)
	}
	b.add(fmt.Sprintf("tick, %d due (wall / Redis CPU)", rep.Ran), fmt.Sprintf("%s / %s", ms(took), ms(server)), "Redis ≤ 50 ms", server.Seconds()/0.05)
	return nil
}

func (b *bench) transitions(due []string) error {
	const clients = 8
	var (
		n    int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	end := time.Now().Add(b.sz.transitions)
	t0 := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine int64
			for i := w; time.Now().Before(end); i += clients {
				ref := due[i%len(due)]
				_, err := b.eng.Do(b.ctx, ref, workflow.Command{Kind: workflow.CmdComment, Actor: uQuiet, Text: "Spoke to the school"}, "")
				if err != nil && !errors.Is(err, engine.ErrConflict) {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mine++
			}
			mu.Lock()
			n += mine
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("bench: transitions: %w", errs[0])
	}
	rate := float64(n) / time.Since(t0).Seconds()
	set, how := b.redisBenchmark()
	if set <= 0 {
		b.add("transitions/s at 8 clients (note, read + commit)", fmt.Sprintf("%.0f/s; redis-benchmark %s", rate, how), "≥ 0.25 × SET", math.NaN())
		return nil
	}
	b.add("transitions/s at 8 clients (note, read + commit)", fmt.Sprintf("%.0f/s vs SET %.0f/s = %.3f×", rate, set, rate/set), "≥ 0.25 × SET", rate/set/0.25)
	return nil
}

// lists floods the Slack handler with signed /escalate list requests at a
// fixed rate, for the person with few cases and then for the person with
// many, with clicks from others alongside the second flood.
func (b *bench) lists() error {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"view":{"id":"V1"},"channel":"D1","ts":"1.1"}`)
	}))
	defer api.Close()
	secret := randomHex(16)
	ad, err := slack.New(slack.Config{BotToken: "xoxb-bench", SigningSecret: secret, APIURL: api.URL + "/api/"}, b.eng, b.st, b.o.Log, nil)
	if err != nil {
		return fmt.Errorf("bench: slack: %w", err)
	}
	mux := http.NewServeMux()
	ad.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cl := &client{url: srv.URL, secret: secret, hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}

	// Connections and the store's scripts warm up first.
	for i := range 20 {
		if _, err := cl.command(uFew, "list", -int64(i+1)); err != nil {
			return fmt.Errorf("bench: warm up: %w", err)
		}
	}
	few, _, _, err := b.flood(cl, uFew, nil)
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("list ack, %d open (p50 / p99 at %d req/s)", b.sz.few, b.sz.rate), few.String(), "p99 ≤ 10 ms", few.p99.Seconds()/0.01)

	// The clicks: uClick opens one of uFew's cases ("show").
	d, err := b.st.Dispute(b.ctx, workflow.FormatRef(2041, 1))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	value := workflow.Action{Kind: workflow.ActShow, Ref: d.Ref, Stage: d.Stage, Version: d.Version}.Value()
	many, clicks, rss, err := b.flood(cl, uMany, &value)
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("list ack, %d open (p50 / p99 at %d req/s)", b.sz.many, b.sz.rate), many.String(), "p99 ≤ 10 ms", many.p99.Seconds()/0.01)
	b.add(fmt.Sprintf("clicks by others during it (p50 / p99 at %d/s)", b.sz.clickRate), clicks.String(), "p99 ≤ 10 ms", clicks.p99.Seconds()/0.01)
	b.add(fmt.Sprintf("RSS during the %d-case flood (peak)", b.sz.many), fmt.Sprintf("%.0f MiB", float64(rss)/(1<<20)), "< 256 MiB", float64(rss)/float64(256<<20))
	b.add("requests answered busy (beyond the bound)", fmt.Sprintf("%d of %d", cl.busy.Load(), len(few.d)+len(many.d)+len(clicks.d)), "polite refusal", math.NaN())
	return nil
}

// flood sends signed list commands for user at the bench's rate for its
// flood time, and clicks on value (when given) alongside; it returns the
// latencies and the process's peak resident memory meanwhile.
func (b *bench) flood(cl *client, user workflow.UserID, value *string) (lists, clicks latencies, rss int64, err error) {
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		failed error
		seq    int64
	)
	record := func(into *latencies, d time.Duration, e error) {
		mu.Lock()
		defer mu.Unlock()
		if e != nil && failed == nil {
			failed = e
		}
		into.add(d)
	}
	stop := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		var peak int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if r := residentBytes(); r > peak {
				peak = r
			}
			select {
			case <-stop:
				sampled <- peak
				return
			case <-t.C:
			}
		}
	}()
	fire := func(every time.Duration, send func(n int64) (time.Duration, error), into *latencies) {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		end := time.After(b.sz.flood)
		for {
			select {
			case <-end:
				return
			case <-t.C:
				mu.Lock()
				seq++
				n := seq
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, e := send(n)
					record(into, d, e)
				}()
			}
		}
	}
	wg.Add(1)
	go fire(time.Second/time.Duration(b.sz.rate), func(n int64) (time.Duration, error) {
		return cl.command(user, "list", n)
	}, &lists)
	if value != nil {
		wg.Add(1)
		go fire(time.Second/time.Duration(b.sz.clickRate), func(n int64) (time.Duration, error) {
			return cl.click(uClick, *value, n)
		}, &clicks)
	}
	wg.Wait()
	close(stop)
	rss = <-sampled
	lists.settle()
	clicks.settle()
	if failed != nil {
		return lists, clicks, rss, fmt.Errorf("bench: a request failed: %w", failed)
	}
	return lists, clicks, rss, nil
}

// clock is the bench's clock: set, not running.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func mustLondon() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
}

// agencyOf puts the bench's people in two of the seeded agencies.
func agencyOf(u workflow.UserID) string {
	switch u {
	case uClick, uOther:
		return "nhs"
	}
	return "csc"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}

// redactURL drops a password from a Redis URL.
func redactURL(u string) string {
	o, err := redis.ParseURL(u)
	if err != nil {
		return "(the Redis named)"
	}
	return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// residentBytes is the process's resident memory (VmRSS), 0 where /proc
// has none.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// serverTime is the CPU Redis's main thread used so far (store.ServerTime); 0 when it
// cannot be read, which shows as no figure rather than a wrong one.
func (b *bench) serverTime() time.Duration {
	t, _ := b.st.ServerTime(b.ctx)
	return t
}
