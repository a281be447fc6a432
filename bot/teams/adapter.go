// Package teams is Escalate's Microsoft Teams adapter. It takes the
// activities the Bot Framework posts to /api/messages (each one's JWT
// checked first), turns typed commands, card buttons and card forms into
// engine calls, and delivers the outbox's messages as Adaptive Cards through
// the Bot Framework connector. It is built on msbotbuilder-go's
// BotFrameworkAdapter with Escalate's own token validator and connector
// client plugged in.
package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/bot/budget"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

const platform = "teams"

// DefaultServiceURL is the connector for proactive messages to people the
// bot has not yet heard from, when no service URL is configured or seen.
const DefaultServiceURL = "https://smba.trafficmanager.net/teams/"

// Kinds of the references the adapter keeps in the store (no free text).
const (
	refConversation = "teams-conv"      // user id → conversationRef (JSON)
	refActivity     = "teams-activity"  // "ref|user" → "conversation|activity" of the latest DM about the case
	refDMLast       = "teams-dm-last"   // "ref|user" → outbox id of that DM
	refThread       = "teams-thread"    // case ref → root activity id of its feed thread
	refFeedLast     = "teams-feed-last" // case ref → outbox id of the latest feed post
	refServiceURL   = "teams-service"   // "last" → the service URL of the latest activity
)

// maxActivity bounds the body of an incoming activity.
const maxActivity = 256 << 10

// Config is the Teams adapter's configuration.
type Config struct {
	// AppID and AppPassword are the bot's Microsoft App ID and client
	// secret; TenantID its tenant (single-tenant bot). They are the one
	// bot when Registrations is empty.
	AppID, AppPassword, TenantID string
	// Registrations are several single-tenant bots, one per agency tenant,
	// all served by this Escalate (teams.registrations). An activity is
	// accepted only when its token is for one of them and its tenant is
	// that one's; a person is reached through their tenant's bot.
	Registrations []Registration
	// OpenIDMetadataURL and TokenURL default to the public cloud's;
	// sovereign clouds and tests set them. TokenURL may hold {tenant},
	// replaced by each registration's tenant id.
	OpenIDMetadataURL, TokenURL string
	// ServiceURL is the connector for proactive messages and the feed;
	// empty: the one the latest activity came from.
	ServiceURL string
	// FeedConversation is the business team's channel (its conversation
	// id, 19:…@thread.tacv2).
	FeedConversation string
	// FeedTenant is the tenant the business team's channel belongs to,
	// whose bot posts there (business_team.teams_tenant); needed with
	// several registrations.
	FeedTenant string
	Help       HelpText
	// Work bounds the work typed commands start (how many at once, and
	// for how long each); nil is a limiter of its own with budget's
	// defaults. Share one with the Slack adapter so the bound is the
	// process's.
	Work *budget.Limiter
	// GraphURL is Microsoft Graph's base (GRAPH_API_URL, such as
	// https://graph.microsoft.com/v1.0). Set, a DM whose earlier attempt
	// may have been posted (the process died between the connector's
	// answer and its record) is looked for in the person's 1:1 chat
	// before it is sent again; each bot then needs the application
	// permissions TeamsAppInstallation.ReadForUser.All and Chat.Read.All.
	// Empty: such a DM is sent again (at least once).
	GraphURL string
	// FeedTeam is the team (group id) FeedConversation is in: with
	// GraphURL, a feed post is looked for there the same way (permission
	// ChannelMessage.Read.All). Empty: a feed post is sent again.
	FeedTeam string
	// Wait pauses a reply between attempts (a 429's Retry-After, a 5xx's
	// backoff); nil waits on the real clock. Tests move a fake one.
	Wait func(ctx context.Context, d time.Duration) error
}

// HelpText is what "help" says: what the process is for and not for, and
// the emergency route (empty: the workflow environment's).
type HelpText struct{ For, NotFor, Emergency []string }

// Adapter serves the Teams bot.
type Adapter struct {
	cfg    Config
	eng    *engine.Engine
	st     *store.Store
	log    *slog.Logger
	kick   func()
	bot    core.BotFrameworkAdapter // the library's adapter, with our validator
	keys   *keySource
	regs   []*registration // the bot registrations, one per tenant
	strict bool            // several registrations: an activity's tenant must be its token's
	render renderer
	recent *cardCache

	// sent holds, per outbox item, the activity the connector created for
	// it until the store has recorded it (see transport.answered).
	sentMu sync.Mutex
	sent   map[string]string
	// work bounds the work typed commands start: a person beyond the
	// bound is told Escalate is busy, and work past its budget is cancelled.
	work  *budget.Limiter
	names NameKeeper
}

// NameKeeper keeps the names Teams gives with every activity (from.name),
// so that people the directory does not list are named without asking
// anyone (bot/directory.Names implements it).
type NameKeeper interface {
	Remember(ctx context.Context, id workflow.UserID, name string)
}

// KeepNames sets where the names of the people who write to the bot are
// kept (nil: nowhere). Call it before serving.
func (a *Adapter) KeepNames(k NameKeeper) { a.names = k }

// New builds the adapter. kick wakes the outbox sender after a transition.
// Without an app id and password it refuses: the endpoint never runs
// unauthenticated.
func New(cfg Config, eng *engine.Engine, st *store.Store, log *slog.Logger, kick func()) (*Adapter, error) {
	if eng == nil || st == nil {
		return nil, errors.New("teams: an engine and a store are required")
	}
	if cfg.OpenIDMetadataURL == "" {
		cfg.OpenIDMetadataURL = DefaultOpenIDMetadataURL
	}
	cfg.FeedTenant = strings.ToLower(strings.TrimSpace(cfg.FeedTenant))
	if log == nil {
		log = slog.Default()
	}
	if kick == nil {
		kick = func() {}
	}
	httpClient := &http.Client{Timeout: 30 * time.Second}
	keys := &keySource{metadataURL: cfg.OpenIDMetadataURL, client: httpClient, now: time.Now, log: log}
	regs, err := registrations(cfg, httpClient, time.Now)
	if err != nil {
		return nil, err
	}
	if cfg.FeedTenant == "" && len(regs) == 1 {
		cfg.FeedTenant = regs[0].TenantID
	}
	a := &Adapter{
		cfg: cfg, eng: eng, st: st, log: log, kick: kick,
		keys: keys, regs: regs, strict: len(cfg.Registrations) > 0,
		render: renderer{env: eng.Env()},
		recent: newCardCache(2000), sent: map[string]string{}, work: cfg.Work,
	}
	if a.work == nil {
		a.work = budget.New(budget.Options{})
	}
	v := &validator{keys: keys, now: time.Now, strict: a.strict, tenants: map[string]string{}}
	for _, r := range regs {
		v.audience = append(v.audience, r.AppID)
		v.tenants[strings.ToLower(r.AppID)] = r.TenantID
	}
	first := regs[0]
	a.bot = core.BotFrameworkAdapter{
		AdapterSetting: core.AdapterSetting{
			AppID: first.AppID, AppPassword: first.AppPassword, ChannelAuthTenant: first.TenantID,
			OauthEndpoint: first.TokenURL, OpenIDMetadata: cfg.OpenIDMetadataURL,
			CredentialProvider: auth.SimpleCredentialProvider{AppID: first.AppID, Password: first.AppPassword},
		},
		TokenValidator: v,
		Client:         libraryClient{ctx: context.Background(), c: first.conn},
	}
	return a, nil
}

// Register adds POST /api/messages.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/messages", a.serveMessages)
}

func (a *Adapter) serveMessages(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxActivity)
	// ParseRequest reads the activity and hands it with the Authorization
	// header to our validator; nothing is done before it has said yes.
	act, err := a.bot.ParseRequest(r.Context(), r)
	if err != nil {
		a.log.WarnContext(r.Context(), "refused an activity", "reason", err.Error())
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	resp, err := a.handle(r.Context(), act)
	if err != nil {
		// The connector is answered 200 all the same: a 5xx would make
		// Teams show the person an error of its own, and what could be
		// done is done (a reply that could not go is in the outbox).
		a.log.ErrorContext(r.Context(), "handle an activity", "type", string(act.Type), "error", err.Error())
	}
	if resp != nil {
		// An invoke is answered in the HTTP response itself.
		buf, merr := json.Marshal(resp)
		if merr == nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			w.Write(buf)
			return
		}
		a.log.ErrorContext(r.Context(), "encode an invoke's answer", "error", merr.Error())
	}
	w.WriteHeader(http.StatusOK)
}

// userOf is the Escalate id of an activity's sender ("" for none).
func userOf(act schema.Activity) workflow.UserID {
	id := strings.TrimSpace(act.From.AadObjectID)
	if id == "" {
		return ""
	}
	return pickedUser(id)
}

func personal(act schema.Activity) bool {
	return act.Conversation.ConversationType == "personal" || (act.Conversation.ConversationType == "" && !act.Conversation.IsGroup)
}

func (a *Adapter) handle(ctx context.Context, act schema.Activity) (*invokeResponse, error) {
	if t := a.regs[0].TenantID; !a.strict && t != "" && act.Conversation.TenantID != "" && !strings.EqualFold(act.Conversation.TenantID, t) {
		// One bot serves its own organisation only. (With several
		// registrations the validator has already refused an activity
		// whose tenant is not its token's.)
		a.log.WarnContext(ctx, "ignored an activity from another tenant")
		return nil, nil
	}
	user := userOf(act)
	if user == "" {
		return nil, nil
	}
	if a.names != nil && act.From.Name != "" {
		if _, listed := a.eng.Env().Directory.Person(user); !listed {
			a.names.Remember(ctx, user, act.From.Name)
		}
	}
	switch act.Type {
	case schema.ConversationUpdate:
		if err := a.remember(ctx, user, act); err != nil {
			return nil, err
		}
		// Installed in someone's personal scope: say what Escalate is.
		for _, m := range act.MembersAdded {
			if m.ID == act.Recipient.ID && personal(act) {
				_, err := a.replyHere(ctx, act, a.help())
				return nil, err
			}
		}
		return nil, nil
	case schema.Invoke:
		switch act.Name {
		case fileConsentInvoke:
			return nil, a.fileConsent(ctx, act, user)
		case cardActionInvoke:
			return a.execute(ctx, act, user)
		}
		return nil, nil
	case schema.Message:
	default:
		return nil, nil // typing, reactions and the like need nothing
	}
	if a.handedOver(ctx, act) {
		// Sent again by Teams: its answer is already with the outbox.
		return nil, nil
	}
	if err := a.remember(ctx, user, act); err != nil {
		return nil, err
	}
	switch {
	case str(act.Value, dataForm) != "":
		return nil, a.submit(ctx, act, user)
	case str(act.Value, dataAction) != "":
		return nil, a.press(ctx, act, user)
	}
	return nil, a.command(ctx, act, user)
}

// conversationRef is how the bot reaches a person later.
type conversationRef struct {
	ServiceURL     string `json:"serviceUrl"`
	ConversationID string `json:"conversationId,omitempty"` // their 1:1 chat with the bot, once known
	TeamsUserID    string `json:"teamsUserId"`
	// TenantID is the tenant whose bot the chat is with: a chat with
	// another tenant's bot is never used to reach the person.
	TenantID string `json:"tenantId,omitempty"`
}

// remember keeps the person's conversation reference from every activity
// they send, so the outbox can reach them. The 1:1 conversation is taken
// only from a personal chat; a channel message still refreshes the service
// URL and the Teams user id.
func (a *Adapter) remember(ctx context.Context, user workflow.UserID, act schema.Activity) error {
	old, _, err := a.conversationOf(ctx, user)
	if err != nil {
		return err
	}
	reg := a.via(act)
	ref := conversationRef{ServiceURL: act.ServiceURL, TeamsUserID: act.From.ID, ConversationID: old.ConversationID, TenantID: reg.TenantID}
	if old.TenantID != "" && old.TenantID != reg.TenantID {
		ref.ConversationID = "" // their chat with the other tenant's bot
	}
	if personal(act) {
		ref.ConversationID = act.Conversation.ID
	}
	if ref != old {
		buf, _ := json.Marshal(ref)
		if err := a.st.SetRef(ctx, refConversation, string(user), string(buf)); err != nil {
			return fmt.Errorf("store a conversation reference: %w", err)
		}
	}
	if reg.ServiceURL == "" && a.cfg.ServiceURL == "" && act.ServiceURL != "" {
		if err := a.st.SetRef(ctx, refServiceURL, serviceURLKey(reg), act.ServiceURL); err != nil {
			return fmt.Errorf("store the service url: %w", err)
		}
	}
	return nil
}

func (a *Adapter) conversationOf(ctx context.Context, user workflow.UserID) (conversationRef, bool, error) {
	var ref conversationRef
	raw, ok, err := a.st.GetRef(ctx, refConversation, string(user))
	if err != nil {
		return ref, false, fmt.Errorf("read a conversation reference: %w", err)
	}
	if !ok || json.Unmarshal([]byte(raw), &ref) != nil {
		return conversationRef{}, false, nil
	}
	return ref, true, nil
}

// serviceURL is where proactive messages through a registration go: its
// own, else the configured one, else the one its tenant's latest activity
// came from.
func (a *Adapter) serviceURL(ctx context.Context, reg *registration) string {
	switch {
	case reg.ServiceURL != "":
		return reg.ServiceURL
	case a.cfg.ServiceURL != "":
		return a.cfg.ServiceURL
	}
	if u, ok, err := a.st.GetRef(ctx, refServiceURL, serviceURLKey(reg)); err == nil && ok && u != "" {
		return u
	}
	return DefaultServiceURL
}

// serviceURLKey names the latest service URL seen through a registration
// ("last" for a bot with no tenant, as before registrations).
func serviceURLKey(reg *registration) string {
	if reg.TenantID == "" {
		return "last"
	}
	return "tenant:" + reg.TenantID
}

// replyHere answers an activity in its own conversation.
func (a *Adapter) replyHere(ctx context.Context, act schema.Activity, c *Card) (string, error) {
	return a.replyAbout(ctx, act, "", c)
}

// replyAbout is replyHere for a card about one case, which is remembered
// so that its buttons can be taken off once used.
func (a *Adapter) replyAbout(ctx context.Context, act schema.Activity, ref string, c *Card) (string, error) {
	if inv := invokeOf(ctx); inv.here(act.Conversation.ID, "") {
		// A press's answer is the card shown in place of the pressed one.
		inv.answer, inv.ref = c, ref
		return inv.card, nil
	}
	c = forViewer(c, act.From.ID)
	id, err := a.replyPatiently(ctx, act, c)
	if err != nil && !outbox.IsPermanent(err) {
		// Still refused after waiting what a person can wait: the
		// outbox tells them, durably, once Teams takes messages again.
		return "", a.handOver(ctx, act, err)
	}
	if err != nil {
		return "", fmt.Errorf("reply: %w", err)
	}
	a.recent.put(activityKey(act.Conversation.ID, id), ref, c)
	return id, nil
}

// tell answers a person privately (see tellAbout).
func (a *Adapter) tell(ctx context.Context, act schema.Activity, user workflow.UserID, c *Card) (string, error) {
	return a.tellAbout(ctx, act, user, "", c)
}

// tellAbout answers a person privately: in the 1:1 chat they wrote from, or,
// when they wrote in a channel, in their 1:1 chat with the bot, with a
// pointer to it left in the channel. Cards with case details or forms
// never go to a channel.
func (a *Adapter) tellAbout(ctx context.Context, act schema.Activity, user workflow.UserID, ref string, c *Card) (string, error) {
	if personal(act) {
		return a.replyAbout(ctx, act, ref, c)
	}
	reg := a.via(act)
	conv, _, err := a.conversationOf(ctx, user)
	if err != nil {
		return "", err
	}
	if conv.ConversationID == "" || (conv.TenantID != "" && conv.TenantID != reg.TenantID) {
		id, err := reg.conn.createConversation(ctx, act.ServiceURL, reg.AppID, a.tenantOf(act), act.From.ID)
		if err != nil {
			return "", fmt.Errorf("open a 1:1 chat: %w", err)
		}
		conv = conversationRef{ServiceURL: act.ServiceURL, ConversationID: id, TeamsUserID: act.From.ID, TenantID: reg.TenantID}
		buf, _ := json.Marshal(conv)
		if err := a.st.SetRef(ctx, refConversation, string(user), string(buf)); err != nil {
			return "", fmt.Errorf("store a conversation reference: %w", err)
		}
	}
	id, err := reg.conn.send(ctx, conv.ServiceURL, conv.ConversationID, c, "")
	if err != nil {
		return "", fmt.Errorf("send privately: %w", err)
	}
	a.recent.put(activityKey(conv.ConversationID, id), ref, c)
	// The answer went; only the pointer to it is left, which is not worth
	// the outbox's while.
	if _, err := a.replyHere(withReplay(ctx, ""), act, notice("Escalate", "I have answered you in our 1:1 chat, to keep case details out of this channel.")); err != nil {
		a.log.WarnContext(ctx, "point to the 1:1 chat", "error", err.Error())
	}
	return id, nil
}

func (a *Adapter) tenantOf(act schema.Activity) string {
	if t := a.via(act).TenantID; t != "" {
		return t
	}
	return act.Conversation.TenantID
}

// update replaces a card the bot sent through a registration, with the
// library's UpdateActivity (PUT /v3/conversations/{id}/activities/{activityId}).
//
// The card an invoke is about is also the invoke's answer: Teams shows it
// at once, and the chat's copy is updated for the person's other devices.
func (a *Adapter) update(ctx context.Context, reg *registration, serviceURL, conversationID, activityID, ref string, c *Card) error {
	if inv := invokeOf(ctx); inv.here(conversationID, activityID) {
		inv.answer = c
	}
	err := a.libraryFor(ctx, reg).UpdateActivity(ctx, schema.Activity{
		Type: schema.Message, ID: activityID, ServiceURL: serviceURL,
		Conversation: schema.ConversationAccount{ID: conversationID},
		Attachments:  []schema.Attachment{{ContentType: cardContentType, Content: c}},
	})
	if err != nil {
		return err
	}
	a.recent.put(activityKey(conversationID, activityID), ref, c)
	return nil
}
