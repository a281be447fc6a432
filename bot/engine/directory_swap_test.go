package engine_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

// TestSetDirectoryWhileServing: a directory swapped in is what the next
// command sees (a new manager holds the next stage; a leaver no longer
// does), the rest of the environment is untouched, and swapping while
// commands run is safe (go test -race).
func TestSetDirectoryWhileServing(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return t0 }
	s := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock})
	env := testEnv()
	e := engine.New(s, env, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	// The police's line manager leaves; a new one starts.
	next := *env.Directory
	next.People = nil
	for _, p := range env.Directory.People {
		if p.ID != manager {
			next.People = append(next.People, p)
		}
	}
	const newManager workflow.UserID = "slack:UNEWMGR"
	next.People = append(next.People, workflow.Person{ID: newManager, Name: "Nia New", Agency: "police", Role: workflow.RoleLineManager})

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if d := e.Env().Directory; d == nil || len(d.Agencies) != 2 {
					t.Error("a command saw no directory, or half of one")
					return
				}
			}
		})
	}
	e.SetDirectory(&next)
	wg.Wait()
	if e.Env().Policy != env.Policy || e.Env().Calendar != env.Calendar {
		t.Fatal("swapping the directory changed the rest of the environment")
	}

	res, err := e.Raise(ctx, raiser, raiseInput(), "swap-raise")
	must(t, err)
	res, err = e.Do(ctx, res.Dispute.Ref, workflow.Command{Kind: workflow.CmdEscalate, Actor: raiser, Text: "no agreement"}, "swap-escalate")
	must(t, err)
	h := res.Dispute.Current()
	if len(h.Raiser) != 1 || h.Raiser[0] != newManager {
		t.Fatalf("the raiser's side at stage 2 is %v, want the manager who started", h.Raiser)
	}
	if _, ok := e.Env().Directory.Person(manager); ok {
		t.Error("the leaver is still in the directory")
	}
}
