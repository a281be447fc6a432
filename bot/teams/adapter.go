// Package teams is Escalate's Microsoft Teams adapter: it authenticates the
// activities the Bot Framework posts to /api/messages, turns commands, button
// presses and card submits into engine calls, and delivers the outbox's
// messages as Adaptive Cards through the Bot Framework connector.
package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

const platform = "teams"

// Kinds of the references the adapter keeps in the store.
const (
	refConversation = "teams-conv"   // user id → conversationRef (JSON)
	refThread       = "teams-thread" // case reference → root activity id of its feed thread
	refSent         = "teams-sent"   // outbox item id → activity id (already delivered)
)

// Config is the Teams adapter's configuration.
type Config struct {
	AppID, AppPassword, TenantID string
	// OpenIDMetadataURL and TokenURL default to the Bot Framework's public
	// cloud; sovereign clouds and tests set them.
	OpenIDMetadataURL, TokenURL string
	// ServiceURL and FeedConversation are where the business-team feed is
	// posted (a channel's conversation id).
	ServiceURL, FeedConversation string
	Help                         HelpText
}

// HelpText is what "help" says: what the process is for and not for, and the
// emergency route.
type HelpText struct{ For, NotFor, Emergency []string }

// Adapter serves the Teams bot.
type Adapter struct {
	cfg    Config
	eng    *engine.Engine
	st     *store.Store
	log    *slog.Logger
	kick   func()
	auth   *verifier
	conn   *connector
	render renderer
}

// New builds the adapter. kick wakes the outbox sender after a transition.
func New(cfg Config, eng *engine.Engine, st *store.Store, log *slog.Logger, kick func()) (*Adapter, error) {
	if cfg.AppID == "" || cfg.AppPassword == "" {
		return nil, errors.New("teams: the app id and password are required")
	}
	if cfg.OpenIDMetadataURL == "" {
		cfg.OpenIDMetadataURL = DefaultOpenIDMetadataURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if log == nil {
		log = slog.Default()
	}
	if kick == nil {
		kick = func() {}
	}
	client := &http.Client{Timeout: 15 * time.Second}
	return &Adapter{
		cfg: cfg, eng: eng, st: st, log: log.With("platform", platform), kick: kick,
		auth:   newVerifier(cfg.OpenIDMetadataURL, cfg.AppID, client, time.Now),
		conn:   &connector{client: client, tokens: &tokenSource{url: cfg.TokenURL, clientID: cfg.AppID, secret: cfg.AppPassword, client: client, now: time.Now}},
		render: renderer{env: eng.Env()},
	}, nil
}

// Register adds POST /api/messages.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/messages", a.serveMessages)
}

// activity is the part of a Bot Framework activity Escalate reads.
type activity struct {
	Type         string         `json:"type"`
	ID           string         `json:"id"`
	ServiceURL   string         `json:"serviceUrl"`
	ChannelID    string         `json:"channelId"`
	From         account        `json:"from"`
	Conversation conversation   `json:"conversation"`
	Text         string         `json:"text"`
	ReplyToID    string         `json:"replyToId"`
	Value        map[string]any `json:"value"`
}

type account struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	AadObjectID string `json:"aadObjectId"`
}

type conversation struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType"`
	IsGroup          bool   `json:"isGroup"`
	TenantID         string `json:"tenantId"`
}

// conversationRef is how the bot reaches a person later.
type conversationRef struct {
	ServiceURL     string `json:"serviceUrl"`
	ConversationID string `json:"conversationId,omitempty"`
	TeamsUserID    string `json:"teamsUserId"`
}

func (a *Adapter) serveMessages(w http.ResponseWriter, r *http.Request) {
	var act activity
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&act); err != nil {
		// Without a readable activity there is no service url to check
		// the token against: nothing here can be trusted.
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if err := a.auth.verify(r.Context(), r.Header.Get("Authorization"), act.ServiceURL); err != nil {
		a.log.WarnContext(r.Context(), "rejected activity", "reason", err.Error())
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if err := a.handle(r.Context(), act); err != nil {
		a.log.ErrorContext(r.Context(), "handle activity", "type", act.Type, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// userID is the Escalate id of the activity's sender.
func (act activity) userID() workflow.UserID {
	if act.From.AadObjectID == "" {
		return ""
	}
	return workflow.UserID(platform + ":" + strings.ToLower(act.From.AadObjectID))
}

func (a *Adapter) handle(ctx context.Context, act activity) error {
	user := act.userID()
	if user == "" || act.Type != "message" {
		return nil // conversation updates, typing and the like need nothing
	}
	if err := a.remember(ctx, user, act); err != nil {
		return err
	}
	if len(act.Value) > 0 {
		if _, ok := act.Value[dataForm]; ok {
			return a.submit(ctx, act, user)
		}
		if _, ok := act.Value[dataAction]; ok {
			return a.press(ctx, act, user)
		}
	}
	return a.command(ctx, act, user)
}

// remember keeps the person's conversation reference so the outbox can
// reach them. Only a personal conversation is remembered for DMs; a message
// in a channel still refreshes the service url and Teams user id.
func (a *Adapter) remember(ctx context.Context, user workflow.UserID, act activity) error {
	ref := conversationRef{ServiceURL: act.ServiceURL, TeamsUserID: act.From.ID}
	if raw, ok, err := a.st.GetRef(ctx, refConversation, string(user)); err != nil {
		return fmt.Errorf("read conversation reference: %w", err)
	} else if ok {
		var old conversationRef
		if json.Unmarshal([]byte(raw), &old) == nil {
			ref.ConversationID = old.ConversationID
		}
	}
	if act.Conversation.ConversationType == "personal" || (act.Conversation.ConversationType == "" && !act.Conversation.IsGroup) {
		ref.ConversationID = act.Conversation.ID
	}
	buf, _ := json.Marshal(ref)
	if err := a.st.SetRef(ctx, refConversation, string(user), string(buf)); err != nil {
		return fmt.Errorf("store conversation reference: %w", err)
	}
	return nil
}

// reply answers the activity in its conversation.
func (a *Adapter) reply(ctx context.Context, act activity, c *Card) error {
	if _, err := a.conn.reply(ctx, act.ServiceURL, act.Conversation.ID, act.ID, c); err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	return nil
}

// answer tells the person why nothing happened, or returns err when it is
// not something to tell them.
func (a *Adapter) answer(ctx context.Context, act activity, err error) error {
	var ref *workflow.Refusal
	switch {
	case errors.As(err, &ref):
		return a.reply(ctx, act, notice("Not done", ref.Message))
	case errors.Is(err, engine.ErrConflict):
		return a.reply(ctx, act, notice("Not done", "Someone else acted on it at the same moment. Nothing was changed; please look at the case again."))
	case errors.Is(err, engine.ErrDuplicate):
		return a.reply(ctx, act, notice("Already done", "That was already recorded."))
	}
	return err
}
