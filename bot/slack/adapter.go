// Package slack connects Escalate to Slack: the /escalate command, the
// forms (modals), the buttons on direct messages, the App Home and the
// business-team feed. It renders the workflow's neutral messages and forms
// as Block Kit and runs every decision through the engine, so nothing here
// decides what happens to a case.
//
// Slack reaches Escalate either over HTTP (slash command, interactivity and
// events request URLs, every request signature-checked) or over Socket Mode
// (no public URL). Both paths call the same handlers.
package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/budget"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Config is what the adapter needs to talk to one Slack workspace.
type Config struct {
	BotToken      string // SLACK_BOT_TOKEN (xoxb-…)
	SigningSecret string // SLACK_SIGNING_SECRET: checks every HTTP request
	AppToken      string // SLACK_APP_TOKEN (xapp-…): Socket Mode when set
	// APIURL overrides the Web API base URL (tests, proxies); "" is Slack's.
	APIURL string
	// FeedChannel is the business team's channel id (C…).
	FeedChannel string
	Help        HelpText
	// Work bounds the work commands start (how many at once, and for how
	// long each); nil is a limiter of its own with budget's defaults.
	// Share one with the Teams adapter so the bound is the process's.
	Work *budget.Limiter
}

// HelpText is what `/escalate help` says: what the process is for and not
// for, and the partnership's emergency route.
type HelpText struct {
	For       []string
	NotFor    []string
	Emergency []string // empty: the workflow environment's emergency route
}

// SubcommandRequest is one `/escalate <name> <args>` for a registered handler.
type SubcommandRequest struct {
	User        workflow.UserID // "slack:U…"
	Args        string          // the text after the subcommand's name
	ChannelID   string
	TriggerID   string // opens a modal within 3 seconds of the command
	ResponseURL string
	// Reply sends another ephemeral reply to the person (for handlers that
	// report progress or finish after the first reply).
	Reply func(ctx context.Context, m workflow.Message) error
}

// SubcommandHandler answers a subcommand with a message shown only to the
// person who typed it (rendered like every other message). A
// *workflow.Refusal error is shown as it is; any other error is logged and
// the person told that nothing changed. A handler slower than a couple of
// seconds is answered "working on it" first and its reply follows.
type SubcommandHandler func(ctx context.Context, req SubcommandRequest) (workflow.Message, error)

// Adapter is Escalate's Slack app.
type Adapter struct {
	cfg  Config
	api  *slack.Client
	eng  *engine.Engine
	st   *store.Store
	log  *slog.Logger
	kick func()

	// recent remembers the blocks of messages Escalate posted or a person
	// clicked, so their buttons can be taken off without losing what the
	// message said. It lives in memory only: messages carry free text,
	// which is never stored outside the (encrypted) case record. Where
	// each message is (channel and ts) is kept in the store, so a message
	// this process does not remember is read back from Slack.
	recent *blockCache

	mu    sync.RWMutex
	extra map[string]SubcommandHandler

	// wall is the wall clock request signatures are checked against
	// (slack-go's verifier reads time.Now too).
	wall func() time.Time

	// replyBudget is how long a subcommand may take before it is answered
	// "working on it" (Slack gives a command 3 seconds).
	replyBudget time.Duration
	// work bounds the work commands start: a person beyond the bound is
	// told Escalate is busy, and work past its budget is cancelled.
	work *budget.Limiter
	bg   sync.WaitGroup // work that outlives the request
}

// Names of the built-in subcommands; HandleSubcommand cannot replace them.
var builtins = []string{"", "raise", "help", "list", "show"}

// New builds the adapter. kick wakes the outbox sender after a commit
// (nil: the sender's own ticker delivers).
func New(cfg Config, eng *engine.Engine, st *store.Store, log *slog.Logger, kick func()) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, fmt.Errorf("slack: no bot token (SLACK_BOT_TOKEN)")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		return nil, fmt.Errorf("slack: set SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)")
	}
	if eng == nil || st == nil {
		return nil, fmt.Errorf("slack: an engine and a store are required")
	}
	if log == nil {
		log = slog.Default()
	}
	if kick == nil {
		kick = func() {}
	}
	work := cfg.Work
	if work == nil {
		work = budget.New(budget.Options{})
	}
	var opts []slack.Option
	opts, cfg.APIURL = apiOptions(cfg.APIURL)
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	return &Adapter{
		cfg: cfg, api: slack.New(cfg.BotToken, opts...), eng: eng, st: st,
		log: log, kick: kick,
		recent: newBlockCache(2000), extra: map[string]SubcommandHandler{},
		replyBudget: 2500 * time.Millisecond, wall: time.Now, work: work,
	}, nil
}

// HandleSubcommand adds `/escalate <name>`. Names are case-insensitive;
// registering a built-in name (help, list, show, raise) panics, as a wiring
// mistake.
func (a *Adapter) HandleSubcommand(name string, h SubcommandHandler) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, b := range builtins {
		if name == b {
			panic(fmt.Sprintf("slack: /escalate %q is built in", name))
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.extra[name] = h
}

func (a *Adapter) subcommand(name string) (SubcommandHandler, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	h, ok := a.extra[name]
	return h, ok
}

func (a *Adapter) subcommandNames() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var n []string
	for k := range a.extra {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Transport delivers outbox messages to Slack (Platform "slack").
func (a *Adapter) Transport() outbox.Transport { return &transport{a: a} }

// after runs work that must not hold up Slack's 3-second answer.
func (a *Adapter) after(f func(ctx context.Context)) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*maxWork)
		defer cancel()
		f(ctx)
	}()
}

// wait returns once the work started by after and spawn is done (tests).
func (a *Adapter) wait() { a.bg.Wait() }

// userID qualifies a Slack user id.
func userID(id string) workflow.UserID { return workflow.UserID("slack:" + id) }

// slackUser is the Slack id of a qualified user id, if it is a Slack one.
func slackUser(u workflow.UserID) (string, bool) {
	if u.Platform() != "slack" || u.Local() == "" {
		return "", false
	}
	return u.Local(), true
}

// apiOptions are the Web API client's options for the base URL apiURL
// ("" Slack's own), and the base as used.
func apiOptions(apiURL string) ([]slack.Option, string) {
	opts := []slack.Option{slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second})}
	if apiURL != "" {
		if !strings.HasSuffix(apiURL, "/") {
			// slack-go joins the method name straight on: the base must end in "/".
			apiURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return opts, apiURL
}
