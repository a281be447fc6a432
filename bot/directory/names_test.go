package directory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

type countMetrics map[string]int

func (m countMetrics) Lookup(source, result string) { m[source+"/"+result]++ }

// TestNamesAreKeptAndOutliveThePlatform: a person is looked up once and
// then named from the store; when the platform is down after MaxAge the
// last name kept stands (with a metric); "no such person" is kept too.
func TestNamesAreKeptAndOutliveThePlatform(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	st := storetest.New(t, store.Options{Now: clock.Now})
	m := countMetrics{}
	n := NewNames(st, clock.Now, nil, m)
	calls, down := 0, false
	n.Register("slack", LookupFunc(func(_ context.Context, id workflow.UserID) (Found, error) {
		calls++
		switch {
		case down:
			return Found{}, errors.New("slack: 503")
		case id == "slack:UJO":
			return Found{Name: "Jo Bloggs", Title: "Senior Social Worker"}, nil
		}
		return Found{}, ErrNotFound
	}))
	jo, ghost := workflow.UserID("slack:UJO"), workflow.UserID("slack:UGHOST")
	for range 3 {
		got := n.Names(ctx, []workflow.UserID{jo, ghost})
		if got[jo] != "Jo Bloggs, Senior Social Worker" || got[ghost] != "" {
			t.Fatalf("names %v", got)
		}
	}
	if calls != 2 {
		t.Fatalf("the platform was asked %d times for two people over three look-ups", calls)
	}
	clock.Advance(8 * 24 * time.Hour)
	down = true
	if got := n.Names(ctx, []workflow.UserID{jo}); got[jo] != "Jo Bloggs, Senior Social Worker" {
		t.Fatalf("with the platform down the kept name was lost: %v", got)
	}
	if m["slack/unavailable"] != 1 || m["slack/found"] != 1 || m["slack/not_found"] != 1 {
		t.Fatalf("metrics %v", m)
	}
	// A name Teams gives with an activity is kept without asking anyone.
	tara := workflow.UserID("teams:0f0e0d0c-0b0a-4909-8807-060504030201")
	n.Remember(ctx, tara, "Tara Tennant")
	if got := n.Names(ctx, []workflow.UserID{tara}); got[tara] != "Tara Tennant" {
		t.Fatalf("remembered %v", got)
	}
}
