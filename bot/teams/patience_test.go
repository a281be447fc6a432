package teams

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// waits records the pauses a reply takes, moving the fake clock instead of
// sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
	h  *harness
}

func (w *waits) wait(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	w.h.clock.Advance(d)
	return nil
}

func patientHarness(t *testing.T) (*harness, *waits) {
	w := &waits{}
	h := newHarnessWith(t, func(h *harness) (workflow.Env, Config) {
		w.h = h
		cfg := h.config()
		cfg.Wait = w.wait
		return testEnv(t), cfg
	})
	return h, w
}

// A reply that gets 429 waits its Retry-After, one that gets a 5xx is
// tried again after a backoff, and the person gets it once; the connector
// is answered 200, never 500.
func TestAReplyWaitsOut429And5xx(t *testing.T) {
	h, w := patientHarness(t)
	h.conn.failNext("reply", http.StatusTooManyRequests, http.StatusServiceUnavailable)
	if code := h.post(h.activity(aadRaiser, "help", nil, ""), h.token()); code != http.StatusOK {
		t.Fatalf("the connector was answered %d", code)
	}
	if got := h.conn.ops("reply"); len(got) != 1 {
		t.Errorf("%d replies delivered, want exactly 1", len(got))
	}
	if len(w.d) != 2 || w.d[0] != 7*time.Second || w.d[1] != time.Second {
		t.Errorf("waits %v, want [7s 1s] (the Retry-After, then the second backoff)", w.d)
	}
}

// A refusal retrying cannot change is not retried, and a Retry-After
// longer than a person can wait is not waited for.
func TestAReplyDoesNotRetryWhatCannotChange(t *testing.T) {
	h, w := patientHarness(t)
	h.conn.failNext("reply", http.StatusForbidden)
	h.post(h.activity(aadRaiser, "help", nil, ""), h.token())
	if len(w.d) != 0 || len(h.conn.ops("reply")) != 0 {
		t.Errorf("a 403 was retried: waits %v", w.d)
	}
	h.conn.failNext("reply", http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	h.post(h.activity(aadRaiser, "help", nil, ""), h.token())
	if len(w.d) != 3 || w.d[0] != 500*time.Millisecond || w.d[2] != 2*time.Second {
		t.Errorf("backoff %v, want 500ms, 1s, 2s then give up", w.d)
	}
}

// A reply Teams still refuses after patience (5xx four times, or a
// Retry-After longer than a person can wait) is handed to the outbox: the
// connector is answered 200 in every fault, the same activity sent again
// is not answered twice, and the person gets the answer itself (help's
// card), once, through the outbox when Teams takes messages again.
func TestAReplyStillRefusedGoesToTheOutbox(t *testing.T) {
	for _, fail := range [][]int{
		{http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusBadGateway},
		{http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusTooManyRequests},
	} {
		h, _ := patientHarness(t)
		h.knownPerson(aadRaiser)
		h.conn.failNext("reply", fail...)
		act := h.activity(aadRaiser, "help", nil, "")
		for range 2 { // Teams may send the same activity again
			if code := h.post(act, h.token()); code != http.StatusOK {
				t.Fatalf("the connector was answered %d", code)
			}
		}
		if n := len(h.conn.ops("reply")); n != 0 {
			t.Fatalf("%d direct replies to an activity whose answer is with the outbox", n)
		}
		h.deliver()
		answers := 0
		for _, c := range h.conn.ops("send") {
			if strings.Contains(c.Raw, "comes now") {
				answers++
				mustContain(t, "the answer through the outbox", c.Raw, "Professional disagreements", "Call 999")
			}
		}
		if answers != 1 {
			t.Fatalf("the person got the answer %d times through the outbox, want once", answers)
		}
	}
}

// The answer to a typed command that Teams refuses with 429s (longer than
// a person waits) goes through the outbox as the command: the outbox meets
// another 429, waits its Retry-After, and then the person gets the card
// itself (the case, its words and their buttons), exactly once.
func TestATypedCommandsAnswerIsCarriedThroughTheOutbox(t *testing.T) {
	h, w := patientHarness(t)
	ref, _ := h.raisedWithKnownResponder()
	h.conn.failNext("reply", http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusTooManyRequests)
	h.conn.failNext("send", http.StatusTooManyRequests)
	sends := len(h.sends(personalConv(aadResponder)))
	if code := h.post(h.activity(aadResponder, "show "+strings.ToLower(ref), nil, ""), h.token()); code != http.StatusOK {
		t.Fatalf("the connector was answered %d", code)
	}
	if len(w.d) != 3 || w.d[0] != 7*time.Second {
		t.Fatalf("the reply waited %v, want the Retry-After three times", w.d)
	}
	for range 3 {
		h.deliver()
		h.clock.Advance(8 * time.Second) // past the outbox's Retry-After
	}
	got := h.sends(personalConv(aadResponder))[sends:]
	if len(got) != 1 {
		t.Fatalf("%d answers through the outbox, want exactly 1", len(got))
	}
	mustContain(t, "the case card through the outbox", got[0].Raw, "comes now", ref, "Health visitor declined", "History")
	if !hasButton(got[0].card()) {
		t.Fatal("the answer came without the person's buttons")
	}
}
