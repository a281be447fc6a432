package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// ErrNotFound is a platform's answer that it has no such person (Slack's
// user_not_found, Graph's 404).
var ErrNotFound = errors.New("no such person")

// Found is a person as their platform names them.
type Found struct {
	Name  string // the real or display name
	Title string // their job title, when the platform has one
	Email string
	// Bot and Deleted: an app, or an account that was switched off.
	Bot, Deleted bool
}

// Display is how a person is shown: "Jo Bloggs, Senior Social Worker".
func (f Found) Display() string {
	n, t := strings.TrimSpace(f.Name), strings.TrimSpace(f.Title)
	if n == "" {
		return ""
	}
	if t == "" {
		return n
	}
	return n + ", " + t
}

// Lookup names one person on one platform. It returns ErrNotFound
// (wrapped or not) when the platform says there is no such person; any
// other error means the platform could not answer.
type Lookup interface {
	LookUp(ctx context.Context, id workflow.UserID) (Found, error)
}

// LookupFunc adapts a function to Lookup.
type LookupFunc func(ctx context.Context, id workflow.UserID) (Found, error)

// LookUp implements Lookup.
func (f LookupFunc) LookUp(ctx context.Context, id workflow.UserID) (Found, error) { return f(ctx, id) }

// NameStore is where names are kept (store.Store implements it).
type NameStore interface {
	PlatformNames(ctx context.Context, ids []workflow.UserID) (map[workflow.UserID]store.PlatformName, error)
	KeepPlatformNames(ctx context.Context, names map[workflow.UserID]store.PlatformName) error
}

var _ NameStore = (*store.Store)(nil)

// Metrics counts look-ups by source (slack, teams, graph) and result
// (found, not_found, unavailable); nil means none.
type Metrics interface {
	Lookup(source, result string)
}

// Names names people from their platforms, keeping what it learns. It
// implements engine.Namer. It is safe for concurrent use.
type Names struct {
	st      NameStore
	now     func() time.Time
	log     *slog.Logger
	metrics Metrics
	// MaxAge is how long a name is used before the platform is asked
	// again; NotFoundAge how long a "no such person" answer stands.
	MaxAge, NotFoundAge time.Duration

	mu      sync.RWMutex
	lookups map[string]Lookup // by platform ("slack", "teams")
}

// NewNames builds a namer over the store. now is the clock.
func NewNames(st NameStore, now func() time.Time, log *slog.Logger, m Metrics) *Names {
	if log == nil {
		log = slog.Default()
	}
	return &Names{st: st, now: now, log: log, metrics: m, MaxAge: 7 * 24 * time.Hour, NotFoundAge: time.Hour, lookups: map[string]Lookup{}}
}

// Register sets the look-up for a platform's people ("slack", "teams").
func (n *Names) Register(platform string, l Lookup) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lookups[platform] = l
}

func (n *Names) lookup(platform string) Lookup {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.lookups[platform]
}

func (n *Names) count(source, result string) {
	if n.metrics != nil {
		n.metrics.Lookup(source, result)
	}
}

// Remember keeps a name a platform gave unasked (the from.name of a Teams
// activity), when it differs from the one kept.
func (n *Names) Remember(ctx context.Context, id workflow.UserID, name string) {
	name = strings.TrimSpace(name)
	if id == "" || name == "" {
		return
	}
	kept, err := n.st.PlatformNames(ctx, []workflow.UserID{id})
	if err != nil {
		n.log.WarnContext(ctx, "read a kept name", "err", err)
		return
	}
	if k, ok := kept[id]; ok && k.Found && (k.Name == name || k.Display() == name) {
		return
	}
	if err := n.st.KeepPlatformNames(ctx, map[workflow.UserID]store.PlatformName{id: {Name: name, Found: true, At: n.now()}}); err != nil {
		n.log.WarnContext(ctx, "keep a name", "err", err)
	}
}

// Names implements engine.Namer: the kept name of each person, asking
// their platform for those never named or named too long ago.
func (n *Names) Names(ctx context.Context, ids []workflow.UserID) map[workflow.UserID]string {
	out := map[workflow.UserID]string{}
	people, err := n.People(ctx, ids)
	if err != nil {
		n.log.WarnContext(ctx, "name people", "err", err)
	}
	for id, f := range people {
		if d := f.Display(); d != "" {
			out[id] = d
		}
	}
	return out
}

// People is Names with what the platform said of each person found.
func (n *Names) People(ctx context.Context, ids []workflow.UserID) (map[workflow.UserID]Found, error) {
	out := map[workflow.UserID]Found{}
	kept, err := n.st.PlatformNames(ctx, ids)
	if err != nil {
		return out, fmt.Errorf("read kept names: %w", err)
	}
	now := n.now()
	fresh := map[workflow.UserID]store.PlatformName{}
	for _, id := range ids {
		k, have := kept[id]
		switch {
		case have && k.Found && now.Sub(k.At) < n.MaxAge:
			out[id] = Found{Name: k.Name, Title: k.Title}
			continue
		case have && !k.Found && now.Sub(k.At) < n.NotFoundAge:
			continue
		}
		l := n.lookup(id.Platform())
		if l == nil {
			if have && k.Found {
				out[id] = Found{Name: k.Name, Title: k.Title}
			}
			continue
		}
		f, err := l.LookUp(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			n.count(id.Platform(), "not_found")
			fresh[id] = store.PlatformName{Found: false, At: now}
		case err != nil:
			// The platform is down or refused: the last name kept stands.
			n.count(id.Platform(), "unavailable")
			n.log.WarnContext(ctx, "a platform could not name a person; the last name kept is used", "platform", id.Platform(), "err", err, "kept", have && k.Found)
			if have && k.Found {
				out[id] = Found{Name: k.Name, Title: k.Title}
			}
		case strings.TrimSpace(f.Name) == "":
			n.count(id.Platform(), "not_found")
			fresh[id] = store.PlatformName{Found: false, At: now}
		default:
			n.count(id.Platform(), "found")
			out[id] = f
			fresh[id] = store.PlatformName{Name: strings.TrimSpace(f.Name), Title: strings.TrimSpace(f.Title), Found: true, At: now}
		}
	}
	if err := n.st.KeepPlatformNames(ctx, fresh); err != nil {
		return out, fmt.Errorf("keep names: %w", err)
	}
	return out, nil
}
