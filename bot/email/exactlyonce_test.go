package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// restart stands for the process dying and starting again over the same
// Redis and SMTP server: a new transport (nothing it held in memory
// survives) and a new sender with the fault.
func (r *rig) restart(t *testing.T, fault outbox.Fault) {
	t.Helper()
	o := r.tr.o
	tr, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.tr = tr
	r.sender = outbox.New(r.st, []outbox.Transport{tr}, r.clock.Now, slog.New(slog.DiscardHandler), nil, outbox.Options{Fault: fault})
}

// drain delivers until the outbox is empty, restarting after a crash and
// moving the clock past leases and backoffs; nothing may be parked.
func (r *rig) drain(t *testing.T, fault outbox.Fault) {
	t.Helper()
	ctx := context.Background()
	for range 100 {
		if _, err := r.sender.RunOnce(ctx); errors.Is(err, outbox.ErrCrash) {
			r.restart(t, fault)
		}
		depth, _, parked, err := r.st.OutboxStats(ctx, r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if parked != 0 {
			t.Fatalf("%d items parked", parked)
		}
		if depth == 0 {
			return
		}
		r.clock.Advance(31 * time.Second)
	}
	t.Fatal("the outbox never emptied")
}

var recipients = []string{"head@school.example", "gp@surgery.example", "nurse@trust.example"}

// received counts the emails the server accepted, by recipient.
func (r *rig) received() map[string]int {
	out := map[string]int{}
	for _, m := range r.smtp.Received() {
		for _, to := range m.To {
			out[to]++
		}
	}
	return out
}

// TestEmailExactlyOnceAcrossFaults: a fault at every step of every email's
// delivery — after the outbox's pending mark, just before the transport
// marks the email committing and sends the end of its DATA, after the
// server's 250 before the transport records it, after the record before
// the outbox acknowledges it — as the process dying there or Redis
// failing there, twice for each email: every email is accepted by the
// server exactly once. (A process dying before the end of DATA leaves an
// unterminated transaction the server discards; one dying after it is
// found committing and taken as sent.)
func TestEmailExactlyOnceAcrossFaults(t *testing.T) {
	for _, step := range []outbox.Step{outbox.StepMarked, StepCommit, outbox.StepAnswered, outbox.StepRecorded} {
		for _, mode := range []string{"crash", "redis error"} {
			t.Run(fmt.Sprintf("%s at %s", mode, step), func(t *testing.T) {
				r := newRig(t)
				var mu sync.Mutex
				hits := map[string]int{}
				fault := func(_ context.Context, at outbox.Step, it store.OutboxItem) error {
					mu.Lock()
					defer mu.Unlock()
					if at != step {
						return nil
					}
					if hits[it.ID]++; hits[it.ID] > 2 {
						return nil
					}
					if mode == "crash" {
						return outbox.ErrCrash
					}
					return errors.New("redis: connection refused")
				}
				r.restart(t, fault)
				for i, to := range recipients {
					r.enqueue(t, message(fmt.Sprintf("m%d", i), workflow.MsgRaised, to))
				}
				r.drain(t, fault)
				got := r.received()
				for _, to := range recipients {
					if got[to] != 1 {
						t.Errorf("%s got %d emails, want 1", to, got[to])
					}
				}
				if len(hits) != len(recipients) {
					t.Errorf("the fault struck %d emails, want %d", len(hits), len(recipients))
				}
			})
		}
	}
}

// A server that refuses an email after the end of its DATA (451) did not
// take it: the committing mark is cleared and the email is sent again,
// once, when the server takes it.
func TestARefusalAfterTheEndOfDataIsSentAgainOnce(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.smtp.FailData(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "local error in processing"})
	r.enqueue(t, message("m1", workflow.MsgRaised, to))
	r.drain(t, nil)
	if got := r.received(); got[to] != 1 || r.smtp.DataCalls() != 2 {
		t.Fatalf("%v over %d DATA, want one email over two", got, r.smtp.DataCalls())
	}
	if committing, _ := r.st.EmailCommitting(ctx, store.ItemID("m1", "email")); committing {
		t.Fatal("left committing after the server took it")
	}
}
