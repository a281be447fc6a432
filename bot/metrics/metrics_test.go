package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

type fakeSource struct{ fail bool }

func (f fakeSource) OutboxStats(context.Context, time.Time) (int64, time.Duration, int64, error) {
	if f.fail {
		return 0, 0, 0, errors.New("down")
	}
	return 7, 90 * time.Second, 2, nil
}

func (f fakeSource) DueCount(context.Context, time.Time) (int64, error) {
	if f.fail {
		return 0, errors.New("down")
	}
	return 3, nil
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsExposeTransitionsOutboxAndLatency(t *testing.T) {
	m := New(fakeSource{}, time.Now)
	m.Transition(workflow.CmdEscalate, "accepted")
	m.Transition(workflow.CmdEscalate, "accepted")
	m.Transition(workflow.CmdConfirm, "refused")
	h := m.Instrument("/slack/commands", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/slack/commands", nil))

	out := scrape(t, m)
	for _, want := range []string{
		`escalate_transitions_total{command="escalate",outcome="accepted"} 2`,
		`escalate_transitions_total{command="confirm",outcome="refused"} 1`,
		`escalate_outbox_depth 7`,
		`escalate_outbox_oldest_age_seconds 90`,
		`escalate_outbox_parked 2`,
		`escalate_timers_due 3`,
		`escalate_store_up 1`,
		`escalate_http_request_duration_seconds_count{code="401",route="/slack/commands"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestStoreDownIsReportedNotHidden(t *testing.T) {
	out := scrape(t, New(fakeSource{fail: true}, time.Now))
	if !strings.Contains(out, "escalate_store_up 0") {
		t.Fatalf("store_up should be 0 when the store fails:\n%s", out)
	}
	if strings.Contains(out, "escalate_outbox_depth ") {
		t.Fatal("no outbox depth should be reported when it could not be read")
	}
}
