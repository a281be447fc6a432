package console

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Delivered is a message as it arrived in the console.
type Delivered struct {
	ID      string
	At      time.Time
	Message workflow.Message
	// Done is set once the person acted on it, so its buttons go away
	// (as chat.update does in Slack).
	Done bool
}

// Inbox keeps what the outbox delivered to practice people and to the
// business-team feed. It lives in memory: the console is a practice space
// whose embedded Redis does not survive a restart either.
type Inbox struct {
	mu    sync.Mutex
	dms   map[workflow.UserID][]*Delivered
	feed  map[string][]*Delivered // by case reference: one thread per case
	order []string                // thread order, newest activity last
	seen  map[string]bool
	now   func() time.Time
}

// NewInbox makes an empty inbox.
func NewInbox(now func() time.Time) *Inbox {
	return &Inbox{dms: map[workflow.UserID][]*Delivered{}, feed: map[string][]*Delivered{}, seen: map[string]bool{}, now: now}
}

// Platform implements outbox.Transport.
func (in *Inbox) Platform() string { return "console" }

// Send implements outbox.Transport: a redelivered item is recognised by its
// id and kept once.
func (in *Inbox) Send(_ context.Context, it store.OutboxItem) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seen[it.ID] {
		return nil
	}
	in.seen[it.ID] = true
	d := &Delivered{ID: it.ID, At: in.now(), Message: it.Message}
	m := it.Message
	if m.Feed || m.Kind == workflow.MsgDigest {
		key := m.Ref
		if key == "" {
			key = "digest"
		}
		// The thread with the latest post goes to the end of the order.
		in.order = append(slices.DeleteFunc(in.order, func(k string) bool { return k == key }), key)
		in.feed[key] = append(in.feed[key], d)
		return nil
	}
	// A new message about a case replaces the buttons of the older ones
	// that person has about it: stale buttons cannot be used twice.
	for _, old := range in.dms[m.To] {
		if old.Message.Ref == m.Ref && m.Ref != "" {
			old.Done = true
		}
	}
	in.dms[m.To] = append(in.dms[m.To], d)
	return nil
}

// DMs returns a person's messages, newest first.
func (in *Inbox) DMs(u workflow.UserID) []Delivered {
	in.mu.Lock()
	defer in.mu.Unlock()
	list := in.dms[u]
	out := make([]Delivered, len(list))
	for i, d := range list {
		out[len(list)-1-i] = *d
	}
	return out
}

// Unread counts a person's messages that still have buttons to press.
func (in *Inbox) Unread(u workflow.UserID) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, d := range in.dms[u] {
		if !d.Done && len(d.Message.Actions) > 0 {
			n++
		}
	}
	return n
}

// MarkDone removes the buttons of a person's messages about a case.
func (in *Inbox) MarkDone(u workflow.UserID, ref string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, d := range in.dms[u] {
		if d.Message.Ref == ref {
			d.Done = true
		}
	}
}

// Thread is one case's thread in the business-team feed.
type Thread struct {
	Key   string
	Posts []Delivered
}

// Feed returns the business-team feed, most recently active thread first.
func (in *Inbox) Feed() []Thread {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Thread, 0, len(in.order))
	for i := len(in.order) - 1; i >= 0; i-- {
		k := in.order[i]
		t := Thread{Key: k}
		for _, d := range in.feed[k] {
			t.Posts = append(t.Posts, *d)
		}
		out = append(out, t)
	}
	return out
}
