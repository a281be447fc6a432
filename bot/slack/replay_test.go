package slack

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signedAt signs a request as Slack does, stamped at ts.
func signedAt(ts time.Time, body string) func(http.Header) {
	return func(hd http.Header) {
		s := strconv.FormatInt(ts.Unix(), 10)
		hd.Set("X-Slack-Request-Timestamp", s)
		hd.Set("X-Slack-Signature", sign(testSecret, s, body))
	}
}

// TestReplayedRequestsActOnce: a signed request sent again within its
// window, to this replica or another one sharing the store, is answered 200
// and does nothing; a request stamped more than five minutes ahead is
// refused with 401, one within the window is accepted once.
func TestReplayedRequestsActOnce(t *testing.T) {
	h := newHarness(t)
	now := time.Now()

	// A second replica: its own adapter and listener, the same store.
	other, err := New(h.a.cfg, h.eng, h.st, slog.New(slog.NewTextHandler(io.Discard, nil)), func() {})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	other.Register(mux)
	replica := httptest.NewServer(mux)
	t.Cleanup(replica.Close)
	t.Cleanup(other.wait)
	postTo := func(base, body string, prepare func(http.Header)) response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", formType)
		prepare(req.Header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		h.a.wait()
		other.wait()
		return response{resp.StatusCode, b}
	}

	// /escalate opens the raise form: once, however often the same signed
	// request arrives, wherever it arrives.
	body := h.commandBody(uRaiser, "")
	stamp := signedAt(now, body)
	if r := postTo(h.srv.URL, body, stamp); r.status != http.StatusOK {
		t.Fatalf("the command was answered %d %s", r.status, r.body)
	}
	if n := h.fake.countCalls("views.open"); n != 1 {
		t.Fatalf("the command opened %d forms", n)
	}
	for _, base := range []string{h.srv.URL, replica.URL} {
		r := postTo(base, body, stamp)
		if r.status != http.StatusOK || len(r.body) != 0 {
			t.Fatalf("the replay was answered %d %q", r.status, r.body)
		}
	}
	if n := h.fake.countCalls("views.open"); n != 1 {
		t.Fatalf("the replayed command opened %d forms", n)
	}

	// Stamped six minutes ahead: refused, with a valid signature.
	ahead := h.commandBody(uRaiser, "")
	if r := postTo(h.srv.URL, ahead, signedAt(now.Add(6*time.Minute), ahead)); r.status != http.StatusUnauthorized {
		t.Fatalf("a request stamped six minutes ahead was answered %d", r.status)
	}
	// Four minutes ahead is within Slack's window: it acts, once.
	soon := h.commandBody(uRaiser, "")
	for i := range 2 {
		if r := postTo(h.srv.URL, soon, signedAt(now.Add(4*time.Minute), soon)); r.status != http.StatusOK {
			t.Fatalf("send %d of a request stamped four minutes ahead was answered %d", i, r.status)
		}
	}
	if n := h.fake.countCalls("views.open"); n != 2 {
		t.Fatalf("after the early request and its replay: %d forms opened, want 2", n)
	}
}

// A signature is remembered for as long as its timestamp would be accepted,
// plus a minute for replicas' clocks, and never for less than a minute.
func TestReplayMemoryCoversTheWindow(t *testing.T) {
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ts   time.Time
		want time.Duration
	}{
		{now, 6 * time.Minute},
		{now.Add(-4 * time.Minute), 2 * time.Minute},
		{now.Add(-5 * time.Minute), time.Minute},
		{now.Add(4 * time.Minute), 10 * time.Minute},
		{now.Add(5 * time.Minute), 11 * time.Minute},
	} {
		if got := replayTTL(c.ts, now); got != c.want {
			t.Errorf("signed %v from now: remembered %v, want %v", c.ts.Sub(now), got, c.want)
		}
	}
}
