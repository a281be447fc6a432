package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody bounds a request from Slack (a submitted modal with every field
// full is well under it).
const maxBody = 1 << 20

// Register adds Slack's request URLs to mux. Every request must carry a
// valid Slack signature with a timestamp within five minutes of now (either
// way), or it gets 401 and nothing happens; a signed request seen before
// is acknowledged and not acted on again.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.Handle("POST /slack/commands", a.verified(a.httpCommand))
	mux.Handle("POST /slack/interactivity", a.verified(a.httpInteraction))
	mux.Handle("POST /slack/events", a.verified(a.httpEvent))
}

// signatureWindow is how far a request's timestamp may be from now, either
// way (Slack's rule, which slack-go's verifier applies).
const signatureWindow = 5 * time.Minute

// verified checks X-Slack-Signature (v0, HMAC-SHA256 of "v0:ts:body" with
// the signing secret) and X-Slack-Request-Timestamp (within 5 minutes, in
// the past or the future) before the handler sees the body. Then the
// signature is remembered in the store (so every replica knows it) for as
// long as it would be accepted: the same signed request replayed is
// answered 200 and does nothing.
func (a *Adapter) verified(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			a.log.WarnContext(r.Context(), "refused an unsigned or stale request", "path", r.URL.Path, "reason", err.Error())
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		first, err := a.firstSight(r.Context(), r.Header)
		if err != nil {
			// Without the store nothing could be done anyway; Slack or the
			// person tries again.
			a.log.ErrorContext(r.Context(), "remember a signed request", "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if !first {
			a.log.WarnContext(r.Context(), "a signed request was replayed; acknowledged, not acted on", "path", r.URL.Path)
			w.WriteHeader(http.StatusOK)
			return
		}
		h(w, r, body)
	})
}

// firstSight records a verified request's signature until its timestamp
// leaves the window (a request stamped ahead of time is remembered for
// longer), plus a minute for clocks that differ between replicas, and
// reports whether it was new.
func (a *Adapter) firstSight(ctx context.Context, h http.Header) (bool, error) {
	ts, err := strconv.ParseInt(h.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return false, fmt.Errorf("request timestamp: %w", err)
	}
	ttl := replayTTL(time.Unix(ts, 0), a.wall())
	return a.st.Once(ctx, "slack-request:"+h.Get("X-Slack-Signature"), ttl)
}

// replayTTL is how long a request signed at ts must be remembered, seen at now.
func replayTTL(ts, now time.Time) time.Duration {
	ttl := ts.Add(signatureWindow).Sub(now) + time.Minute
	return max(ttl, time.Minute)
}

// retried reports a Slack retry of a request already answered: commands
// and interactions are not acted on twice (events are deduplicated by id).
func retried(r *http.Request) bool { return r.Header.Get("X-Slack-Retry-Num") != "" }

func writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (a *Adapter) httpCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	if retried(r) {
		w.WriteHeader(http.StatusOK)
		return
	}
	// The body is already read and checked: parse it again as Slack sent it.
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, r.URL.Path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, "bad command", http.StatusBadRequest)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cmd, err := slack.SlashCommandParse(req)
	if err != nil {
		http.Error(w, "bad command", http.StatusBadRequest)
		return
	}
	writeJSON(w, a.command(r.Context(), cmd))
}

func (a *Adapter) httpInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	if retried(r) {
		w.WriteHeader(http.StatusOK)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "no payload", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	writeJSON(w, a.interaction(r.Context(), cb))
}

func (a *Adapter) httpEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	if outer.Type == slackevents.URLVerification {
		writeJSON(w, map[string]string{"challenge": outer.Challenge})
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event Escalate does not subscribe to: acknowledged, ignored.
		w.WriteHeader(http.StatusOK)
		return
	}
	// Answer within Slack's 3 seconds; the work follows.
	w.WriteHeader(http.StatusOK)
	a.after(func(ctx context.Context) { a.event(ctx, ev) })
}
