package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/failover"
	"github.com/escalate-app/escalate/workflow"
)

// FaultOptions says how to run the fault runs (see Faults).
type FaultOptions struct {
	// Bot is the escalate binary the runs start as `escalate serve` (and
	// kill).
	Bot string
	// RedisServer is the redis-server program for the Redis the runs
	// start and kill ("" finds it on PATH).
	RedisServer string
	// Cluster and Sentinel name the topologies of .ci/redis-topologies;
	// without them their failover runs are not run (and say so).
	Cluster        []string
	Sentinel       []string
	SentinelMaster string
	// Raises per run (default 1,000), Runs of each fault (default 3).
	Raises, Runs int
	// Rate caps the raises per second (default 40), so that a fault
	// meets a steady load, not the end of a burst.
	Rate int
	// Outage is how long Slack fails (default 60 s: 45 s of 500s, then
	// 15 s of 429s); RedisDown how long Redis stays dead (default 15 s).
	Outage, RedisDown time.Duration
	// Only runs only the faults named (kill-bot, redis-down,
	// slack-outage, cluster, sentinel); empty runs all.
	Only []string
	Log  *slog.Logger
}

// faultRow is one run's figures.
type faultRow struct {
	fault                 string
	requests, answered    int64
	acked, stored         int
	perPerson             string
	duplicates, lost      int
	recover               time.Duration
	note                  string
	callsWhileDown, posts int
}

// Faults runs each fault Runs times, one after the other in one
// invocation, each under Raises raises made through the Slack HTTP
// handler of a real `escalate serve` process, and prints one table.
func Faults(ctx context.Context, o FaultOptions, out io.Writer) error {
	if o.Bot == "" {
		return errors.New("bench faults: the escalate binary to run is not known")
	}
	if o.Raises <= 0 {
		o.Raises = 1000
	}
	if o.Runs <= 0 {
		o.Runs = 3
	}
	if o.Rate <= 0 {
		o.Rate = 40
	}
	if o.Outage <= 0 {
		o.Outage = 60 * time.Second
	}
	if o.RedisDown <= 0 {
		o.RedisDown = 15 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir, err := os.MkdirTemp("", "escalate-faults-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	own, err := failover.Standalone(ctx, o.RedisServer, filepath.Join(dir, "redis"))
	if err != nil {
		return fmt.Errorf("bench faults: %w", err)
	}
	defer func() { own.Shutdown(context.WithoutCancel(ctx)) }() // the last process started, after restarts
	fmt.Fprintf(out, "Escalate fault runs: %d raises a run at up to %d a second, each fault %d times; escalate serve is %s; a Redis of its own at %s (append-only, fsync always)\n",
		o.Raises, o.Rate, o.Runs, o.Bot, own.Addr)

	kinds := []string{"kill-bot", "redis-down", "slack-outage", "cluster", "sentinel"}
	var rows []faultRow
	for run := 1; run <= o.Runs; run++ {
		for _, k := range kinds {
			if len(o.Only) > 0 && !contains(o.Only, k) {
				continue
			}
			fr := &faultRun{o: o, kind: k, run: run, dir: filepath.Join(dir, fmt.Sprintf("%s-%d", k, run)), own: own}
			row, err := fr.do(ctx)
			// A killed and restarted Redis is a new process: the next
			// run kills that one, not the first.
			own = fr.own
			if err != nil {
				row = faultRow{fault: fr.title(), note: "failed: " + err.Error()}
			}
			fmt.Fprintf(out, "  %s\n", row.line())
			rows = append(rows, row)
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "| %-36s | %-17s | %-12s | %-19s | %-10s | %-4s | %-18s | %s |\n", "fault", "requests answered", "cases stored", "messages per person per case", "duplicates", "lost", "seconds to recover", "notes")
	fmt.Fprintf(out, "|%s|%s|%s|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 38), strings.Repeat("-", 19), strings.Repeat("-", 14), strings.Repeat("-", 30), strings.Repeat("-", 12), strings.Repeat("-", 6), strings.Repeat("-", 20), strings.Repeat("-", 7))
	for _, r := range rows {
		fmt.Fprintf(out, "| %-36s | %-17s | %-12s | %-28s | %-10d | %-4d | %-18s | %s |\n", r.fault,
			fmt.Sprintf("%d / %d", r.answered, r.requests), fmt.Sprintf("%d / %d", r.stored, r.acked), r.perPerson, r.duplicates, r.lost,
			fmt.Sprintf("%.1f", r.recover.Seconds()), r.note)
	}
	fmt.Fprintln(out, `
requests answered: HTTP requests to the Slack handler answered 200, of those sent (a person retries what was not answered);
cases stored: cases in Redis, of raises acknowledged with a reference; messages per person per case: distinct DMs each
person received about each case (min–max); duplicates: messages Slack received twice (same outbox id) plus cases stored
for no acknowledged raise; lost: acknowledged raises not stored, plus cases whose raiser or responder never got their DM;
seconds to recover: from the fault's end (the kill, for the bot; Redis started again; the replica's promotion) to the
next raise acknowledged, and for the Slack outage from Slack's return to an empty outbox.`)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (r faultRow) line() string {
	return fmt.Sprintf("%-36s answered %d/%d, stored %d/%d, per person per case %s, duplicates %d, lost %d, recover %.1f s, %d posts, %d calls refused while down %s",
		r.fault, r.answered, r.requests, r.stored, r.acked, r.perPerson, r.duplicates, r.lost, r.recover.Seconds(), r.posts, r.callsWhileDown, r.note)
}

// faultRun is one run of one fault.
type faultRun struct {
	o    FaultOptions
	kind string
	run  int
	dir  string
	own  failover.Node

	prefix string
	fake   *fakeSlack
	slack  *httptest.Server
	st     *store.Store
	bot    *exec.Cmd
	botURL string
	env    []string
	hc     *http.Client

	requests, answered atomic.Int64
	mu                 sync.Mutex
	acked              map[string]bool // refs acknowledged
	ackedAt            []time.Time
	nAcked             atomic.Int64
}

func (fr *faultRun) title() string {
	switch fr.kind {
	case "kill-bot":
		return fmt.Sprintf("kill -9 of the bot, run %d", fr.run)
	case "redis-down":
		return fmt.Sprintf("Redis killed for %s, run %d", fr.o.RedisDown, fr.run)
	case "slack-outage":
		return fmt.Sprintf("Slack 500/429 for %s, run %d", fr.o.Outage, fr.run)
	case "cluster":
		return fmt.Sprintf("Cluster failover, run %d", fr.run)
	default:
		return fmt.Sprintf("Sentinel failover, run %d", fr.run)
	}
}

const (
	faultToken  = "xoxb-fault-runs"
	faultSecret = "fault-runs-signing-secret-0123456789"
	faultFeed   = "CFEED01"
	faultPeople = 20
)

func (fr *faultRun) users() map[string]string {
	u := map[string]string{"ULM1": "Lee Manager", "ULM2": "Mo Manager", "USEN1": "Ada Senior", "USEN2": "Sam Senior", "UCHAIR": "Chris Chair", "UBIZ": "Bea Business"}
	for i := 1; i <= faultPeople; i++ {
		u[fmt.Sprintf("UR%02d", i)] = fmt.Sprintf("Pat Practitioner %d", i)
		u[fmt.Sprintf("UH%02d", i)] = fmt.Sprintf("Hana Visitor %d", i)
	}
	return u
}

func (fr *faultRun) config(redisYAML string) string {
	var b strings.Builder
	b.WriteString(`partnership: Fault Runs Safeguarding Partnership
env: production
policy:
  preset: west-sussex
directory:
  agencies:
    - {id: csc, name: "Children's Social Care"}
    - {id: health, name: "Community Health"}
  people:
    - {name: Lee Manager, agency: csc, role: line_manager, slack: ULM1}
    - {name: Mo Manager, agency: health, role: line_manager, slack: ULM2}
    - {name: Ada Senior, agency: csc, role: senior_manager, slack: USEN1}
    - {name: Sam Senior, agency: health, role: senior_manager, slack: USEN2}
`)
	for i := 1; i <= faultPeople; i++ {
		fmt.Fprintf(&b, "    - {name: Pat Practitioner %d, agency: csc, role: practitioner, slack: UR%02d}\n", i, i)
		fmt.Fprintf(&b, "    - {name: Hana Visitor %d, agency: health, role: practitioner, slack: UH%02d}\n", i, i)
	}
	b.WriteString(`  chair:
    - {name: Chris Chair, slack: UCHAIR}
business_team:
  members:
    - {name: Bea Business, slack: UBIZ}
  slack_channel: ` + faultFeed + `
calendar:
  region: england-and-wales
  timezone: Europe/London
emergency:
  - "A child in immediate danger: call 999."
subject_ref_pattern: "CS-[0-9]{6}"
subject_ref_example: CS-123456
`)
	b.WriteString(redisYAML)
	return b.String()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// do sets the run up, runs its load and fault, and counts.
func (fr *faultRun) do(ctx context.Context) (faultRow, error) {
	row := faultRow{fault: fr.title()}
	if err := os.MkdirAll(fr.dir, 0o700); err != nil {
		return row, err
	}
	fr.prefix = "faults" + randomHex(4) + ":"
	fr.acked = map[string]bool{}
	fr.hc = &http.Client{Timeout: 10 * time.Second}
	fr.fake = newFakeSlack(faultToken, faultFeed, fr.users())
	fr.slack = httptest.NewServer(fr.fake)
	defer fr.slack.Close()

	// The Redis of the run, as escalate serve is given it.
	var redisYAML string
	var uo *redis.UniversalOptions
	redisURL := ""
	switch fr.kind {
	case "cluster":
		if len(fr.o.Cluster) == 0 {
			return faultRow{fault: row.fault, note: "not run: no --cluster (eval \"$(.ci/redis-topologies start)\")"}, nil
		}
		redisYAML = "redis:\n  cluster_addrs: [" + strings.Join(fr.o.Cluster, ", ") + "]\n"
		uo = &redis.UniversalOptions{Addrs: fr.o.Cluster, IsClusterMode: true}
	case "sentinel":
		if len(fr.o.Sentinel) == 0 || fr.o.SentinelMaster == "" {
			return faultRow{fault: row.fault, note: "not run: no --sentinel and --sentinel-master"}, nil
		}
		redisYAML = "redis:\n  sentinel:\n    master_name: " + fr.o.SentinelMaster + "\n    addrs: [" + strings.Join(fr.o.Sentinel, ", ") + "]\n"
		uo = &redis.UniversalOptions{Addrs: fr.o.Sentinel, MasterName: fr.o.SentinelMaster}
	default:
		redisURL = "redis://" + fr.own.Addr + "/0"
	}
	// The key the bot seals free text with, so the runs can read its cases.
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	key := base64.StdEncoding.EncodeToString(raw)
	cipher, err := store.NewKeyring(key)
	if err != nil {
		return row, err
	}
	sopts := store.Options{Prefix: fr.prefix, Cipher: cipher}
	if uo != nil {
		fr.st, err = store.OpenUniversal(ctx, uo, sopts)
	} else {
		fr.st, err = store.Open(ctx, redisURL, sopts)
	}
	if err != nil {
		return row, err
	}
	defer func() {
		_ = fr.clean(context.WithoutCancel(ctx))
		_ = fr.st.Close()
	}()
	conf := filepath.Join(fr.dir, "escalate.yaml")
	if err := os.WriteFile(conf, []byte(fr.config(redisYAML)), 0o600); err != nil {
		return row, err
	}
	addr, err := freeAddr()
	if err != nil {
		return row, err
	}
	fr.botURL = "http://" + addr
	fr.env = append(os.Environ(),
		"ESCALATE_CONFIG="+conf, "ESCALATE_ADDR="+addr, "ESCALATE_METRICS_ADDR=off", "ESCALATE_ENV=production",
		"ESCALATE_REDIS_PREFIX="+fr.prefix, "ESCALATE_ENCRYPTION_KEY="+key,
		"SLACK_BOT_TOKEN="+faultToken, "SLACK_SIGNING_SECRET="+faultSecret, "SLACK_API_URL="+fr.slack.URL+"/api/",
		"REDIS_URL="+redisURL)
	if err := fr.startBot(ctx); err != nil {
		return row, err
	}
	defer fr.stopBot()

	// The fault, once the load is going.
	faultAt := int64(fr.o.Raises * 3 / 10)
	if fr.kind == "slack-outage" {
		faultAt = int64(fr.o.Raises / 10)
	}
	var faultEnd time.Time
	var faultErr error
	faultDone := make(chan struct{})
	go func() {
		defer close(faultDone)
		for fr.nAcked.Load() < faultAt {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		faultEnd, faultErr = fr.inject(ctx)
	}()
	loadErr := fr.load(ctx)
	<-faultDone
	if faultErr != nil {
		return row, faultErr
	}
	if loadErr != nil {
		return row, loadErr
	}

	// Everything delivered (or the limit), then count.
	clear, err := fr.drain(ctx, 3*time.Minute)
	if err != nil {
		return row, err
	}
	row.requests, row.answered = fr.requests.Load(), fr.answered.Load()
	row.acked = len(fr.acked)
	refs, err := fr.st.AllRefs(ctx)
	if err != nil {
		return row, err
	}
	row.stored = len(refs)
	stored := map[string]bool{}
	for _, r := range refs {
		stored[r] = true
		if !fr.acked[r] {
			row.duplicates++ // a case no acknowledged raise accounts for
		}
	}
	for r := range fr.acked {
		if !stored[r] {
			row.lost++
		}
	}
	t := fr.fake.tally()
	row.duplicates += t.duplicates
	row.posts, row.callsWhileDown = t.posts, t.callsOut
	row.perPerson = t.spread(faultFeed)
	for _, r := range refs {
		d, err := fr.st.Dispute(ctx, r)
		if err != nil {
			return row, err
		}
		for _, u := range []workflow.UserID{d.Raiser.Person, d.Responder.Person} {
			if t.perCase[r]["D"+u.Local()[1:]] == 0 {
				row.lost++
			}
		}
	}
	if fr.kind == "slack-outage" {
		row.recover = clear.Sub(faultEnd)
	} else {
		row.recover = fr.firstAckAfter(faultEnd).Sub(faultEnd)
	}
	if row.recover < 0 {
		row.recover = 0
	}
	depth, _, parked, err := fr.st.OutboxStats(ctx, time.Now())
	if err == nil && depth+parked > 0 {
		row.note = fmt.Sprintf("%d messages still undelivered", depth+parked)
		row.lost += int(depth + parked)
	}
	return row, nil
}

func (fr *faultRun) firstAckAfter(t time.Time) time.Time {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	var first time.Time
	for _, at := range fr.ackedAt {
		if !at.Before(t) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	if first.IsZero() {
		return t
	}
	return first
}

// inject makes the run's fault happen and returns when it ended.
func (fr *faultRun) inject(ctx context.Context) (time.Time, error) {
	switch fr.kind {
	case "kill-bot":
		if err := fr.bot.Process.Signal(syscall.SIGKILL); err != nil {
			return time.Time{}, err
		}
		_ = fr.bot.Wait()
		end := time.Now()
		return end, fr.startBot(ctx)
	case "redis-down":
		if err := fr.own.Kill(ctx); err != nil {
			return time.Time{}, err
		}
		time.Sleep(fr.o.RedisDown)
		if err := fr.own.Restart(ctx); err != nil {
			return time.Time{}, err
		}
		n, err := failover.Inspect(ctx, fr.own.Addr)
		fr.own = n
		return time.Now(), err
	case "slack-outage":
		fr.fake.setOutage("500")
		time.Sleep(fr.o.Outage * 3 / 4)
		fr.fake.setOutage("429")
		time.Sleep(fr.o.Outage / 4)
		fr.fake.setOutage("")
		return time.Now(), nil
	case "cluster", "sentinel":
		var f *failover.Failover
		var err error
		if fr.kind == "cluster" {
			f, err = failover.KillClusterMaster(ctx, fr.o.Cluster, fr.prefix+"{esc}:ready")
		} else {
			f, err = failover.KillSentinelMaster(ctx, fr.o.Sentinel, fr.o.SentinelMaster)
		}
		if err != nil {
			return time.Time{}, err
		}
		// The dead node comes back as a replica once the load is over
		// (see stopBot's caller): heal it now, in the background.
		go func() { _ = f.Heal(context.WithoutCancel(ctx)) }()
		return f.PromotedAt, nil
	}
	return time.Time{}, fmt.Errorf("no such fault %q", fr.kind)
}

func (fr *faultRun) startBot(ctx context.Context) error {
	logf, err := os.OpenFile(filepath.Join(fr.dir, "bot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(fr.o.Bot, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = fr.env, logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start escalate serve: %w", err)
	}
	fr.bot = cmd
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := fr.hc.Get(fr.botURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("escalate serve did not come up (see %s)", filepath.Join(fr.dir, "bot.log"))
}

func (fr *faultRun) stopBot() {
	if fr.bot == nil || fr.bot.Process == nil {
		return
	}
	_ = fr.bot.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = fr.bot.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = fr.bot.Process.Kill()
		<-done
	}
}

// drain waits until the outbox is empty and returns when it was.
func (fr *faultRun) drain(ctx context.Context, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		depth, _, parked, err := fr.st.OutboxStats(ctx, time.Now())
		if err == nil && depth == 0 && parked == 0 {
			return time.Now(), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Now(), nil
}

// clean deletes the run's keys (on Cluster, from the master of the slot).
func (fr *faultRun) clean(ctx context.Context) error {
	var c redis.Cmdable = fr.st.Client()
	if cc, ok := fr.st.Client().(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(ctx, fr.prefix+"{esc}:ready")
		if err != nil {
			return err
		}
		c = n
	}
	iter := c.Scan(ctx, 0, fr.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		_ = fr.st.Client().Del(ctx, iter.Val()).Err()
	}
	return iter.Err()
}

// load makes Raises raises, 8 people at a time, paced at Rate a second;
// each is retried as a person would until Escalate answers it with a
// reference.
func (fr *faultRun) load(ctx context.Context) error {
	var next atomic.Int64
	tick := time.NewTicker(time.Second / time.Duration(fr.o.Rate))
	defer tick.Stop()
	permits := make(chan struct{})
	go func() {
		for range fr.o.Raises {
			select {
			case <-tick.C:
			case <-ctx.Done():
				close(permits)
				return
			}
			permits <- struct{}{}
		}
		close(permits)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range permits {
				n := next.Add(1)
				if err := fr.raise(ctx, n); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

var refPattern = regexp.MustCompile(`ESC-\d{4}-\d{4,}`)

// raise is one person's raise: /escalate opens the form; they fill it in
// and submit it until Escalate answers with the reference (a submission
// seen before answers "Already raised as …").
func (fr *faultRun) raise(ctx context.Context, n int64) error {
	raiser := fmt.Sprintf("UR%02d", (n-1)%faultPeople+1)
	responder := fmt.Sprintf("UH%02d", (n-1)%faultPeople+1)
	deadline := time.Now().Add(3 * time.Minute)
	var view map[string]any
	for attempt := 0; view == nil; attempt++ {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("raise %d: the form never opened", n)
		}
		trig := fr.fake.trigger(fmt.Sprintf("trig-%d-%d", n, attempt))
		body := url.Values{"team_id": {"T1"}, "channel_id": {"D" + raiser[1:]}, "user_id": {raiser}, "command": {"/escalate"}, "text": {""},
			"response_url": {fr.slack.URL + "/respond/" + trig}, "trigger_id": {trig}, "api_app_id": {"A1"}}.Encode()
		if _, ok := fr.post("/slack/commands", body); ok {
			for range 60 {
				if view = fr.fake.view(trig); view != nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		if view == nil {
			time.Sleep(300 * time.Millisecond)
		}
	}
	answers := map[string]any{
		workflow.FieldSubjectType: "child", workflow.FieldSubjectRef: fmt.Sprintf("CS-%06d", n),
		workflow.FieldCategory: string(workflow.CatThresholds), workflow.FieldResponderAgency: "health",
		workflow.FieldResponder:     responder,
		workflow.FieldDisagreement:  "Health visitor declined the strategy discussion despite bruising",
		workflow.FieldOutcomeSought: "A strategy discussion within one working day", workflow.FieldEvidence: "Two bruises recorded on the home visit",
	}
	payload, _ := json.Marshal(map[string]any{"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": raiser},
		"api_app_id": "A1", "trigger_id": fmt.Sprintf("trig-sub-%d", n),
		"view": map[string]any{"id": view["id"], "hash": view["hash"], "type": "modal", "callback_id": view["callback_id"],
			"private_metadata": view["private_metadata"], "state": map[string]any{"values": formState(view, answers)}}})
	body := url.Values{"payload": {string(payload)}}.Encode()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		answer, ok := fr.post("/slack/interactivity", body)
		if ok {
			if ref := refPattern.FindString(answer); ref != "" {
				fr.mu.Lock()
				fr.acked[ref] = true
				fr.ackedAt = append(fr.ackedAt, time.Now())
				fr.mu.Unlock()
				fr.nAcked.Add(1)
				return nil
			}
			// "Escalate could not save this just now … Submit it again":
			// what a person does on that answer is submit again.
			if strings.Contains(answer, `"errors"`) && !strings.Contains(answer, "Submit it again") {
				return fmt.Errorf("raise %d: the form was refused: %s", n, answer)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("raise %d: never answered with a reference", n)
}

// post sends a request signed as Slack signs it; ok is an HTTP 200.
func (fr *faultRun) post(path, body string) (string, bool) {
	c := &client{url: fr.botURL, secret: faultSecret, hc: fr.hc}
	fr.requests.Add(1)
	answer, err := c.postBody(path, body)
	if err != nil {
		return "", false
	}
	fr.answered.Add(1)
	return answer, true
}

// formState answers a view as Slack reports it: the given answers by
// block id, and for every other input what it was drawn with.
func formState(view map[string]any, answers map[string]any) map[string]any {
	values := map[string]any{}
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["type"] != "input" {
			continue
		}
		bid, _ := m["block_id"].(string)
		el, _ := m["element"].(map[string]any)
		aid, _ := el["action_id"].(string)
		typ, _ := el["type"].(string)
		v := map[string]any{"type": typ}
		ans, answered := answers[bid]
		switch typ {
		case "plain_text_input":
			v["value"] = el["initial_value"]
			if answered {
				v["value"] = ans
			}
		case "static_select", "external_select":
			v["selected_option"] = el["initial_option"]
			if answered {
				v["selected_option"] = map[string]any{"value": ans}
			}
		case "users_select":
			v["selected_user"] = el["initial_user"]
			if answered {
				v["selected_user"] = ans
			}
		case "multi_users_select", "multi_static_select", "checkboxes":
			key := map[string]string{"multi_users_select": "selected_users"}[typ]
			if key == "" {
				key = "selected_options"
			}
			initial := map[string]string{"multi_users_select": "initial_users"}[typ]
			if initial == "" {
				initial = "initial_options"
			}
			if iv, ok := el[initial]; ok {
				v[key] = iv
			} else {
				v[key] = []any{}
			}
		case "datepicker":
			v["selected_date"] = el["initial_date"]
		case "radio_buttons":
			v["selected_option"] = el["initial_option"]
		}
		values[bid] = map[string]any{aid: v}
	}
	return values
}
