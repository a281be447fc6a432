package email

import (
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/email/smtptest"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	base      = "https://escalate.partnership.example"
	freeText  = "Mother disclosed the bruising at the school gate"
	subjectNo = "case number 4471902"
	to        = "head@school.example"
)

type rig struct {
	smtp   *smtptest.Server
	clock  *bottest.Clock
	st     *store.Store
	sender *outbox.Sender
	tr     *Transport
	signer *weblink.Signer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	f := smtptest.New(t)
	srv, err := config.SMTPServer("smtp://escalate:s3cret@" + f.Addr)
	if err != nil {
		t.Fatal(err)
	}
	clock := bottest.NewClock(t0)
	st := storetest.New(t, store.Options{FeedPlatforms: []string{"slack"}, Now: clock.Now})
	signer, err := weblink.New([]byte("a test key of thirty-two bytes!!"), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Options{
		Server: srv, From: "escalate@partnership.example",
		Links: weblink.Links{Base: base, Signer: signer, Now: clock.Now},
		Sent:  st, Now: clock.Now, Log: slog.New(slog.DiscardHandler),
		TLS: &tls.Config{ServerName: "127.0.0.1", RootCAs: f.Certs, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := outbox.New(st, []outbox.Transport{tr}, clock.Now, slog.New(slog.DiscardHandler), nil, outbox.Options{})
	return &rig{smtp: f, clock: clock, st: st, sender: s, tr: tr, signer: signer}
}

// message is a DM as the engine writes it, full of what must never reach
// an email: free text in its title, lines, facts and history, and the
// subject's case number.
func message(id string, kind workflow.MessageKind, to string) workflow.Message {
	dl := t0.Add(48 * time.Hour)
	return workflow.Message{
		ID: id, Kind: kind, Ref: "ESC-2026-0042", To: workflow.EmailUser(to),
		Title: "Raised with you: " + freeText,
		Lines: []string{freeText, "About: child, " + subjectNo},
		Facts: []workflow.Fact{
			{Label: "Case", Value: "ESC-2026-0042"},
			{Label: "About", Value: "Child, " + subjectNo + " (child protection plan)"},
			{Label: "Stage", Value: "Stage 1: practitioners"},
			{Label: "Window closes", Value: "Wed 4 Mar, 09:00", Time: &dl},
			{Label: "Concern", Value: freeText},
		},
		History: []workflow.HistoryEntry{{At: t0, Stage: 1, Actor: "Sam Social Worker", Summary: "raised", Text: freeText}},
		Actions: []workflow.Action{{Kind: workflow.ActConfirm}, {Kind: workflow.ActReject}, {Kind: workflow.ActNote}},
	}
}

func (r *rig) enqueue(t *testing.T, msgs ...workflow.Message) {
	t.Helper()
	if err := r.st.Enqueue(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

// checkClean fails unless the email carries the case, stage, deadline and
// a working link for its recipient, and nothing of the free text or the
// subject, in its headers or body.
func (r *rig) checkClean(t *testing.T, m smtptest.Mail) {
	t.Helper()
	for _, bad := range []string{freeText, "bruising", subjectNo, "4471902", "child protection plan", "Sam Social Worker", "Concern"} {
		if strings.Contains(strings.ToLower(m.Raw), strings.ToLower(bad)) || strings.Contains(strings.ToLower(m.Body), strings.ToLower(bad)) {
			t.Errorf("email carries %q:\n%s", bad, m.Raw)
		}
	}
	subj := m.Msg.Header.Get("Subject")
	if !strings.Contains(subj, "ESC-2026-0042") {
		t.Errorf("subject %q lacks the case reference", subj)
	}
	body := strings.ReplaceAll(m.Body, "=\r\n", "")
	for _, want := range []string{"Case: ESC-2026-0042", "Stage: Stage 1: practitioners", "By: Wed 4 Mar, 09:00", base + "/link/"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	i := strings.Index(body, base+"/link/")
	tok := strings.Fields(body[i+len(base+"/link/"):])[0]
	tok = strings.ReplaceAll(tok, "=3D", "=")
	if l, err := r.signer.Check(tok, r.clock.Now()); err != nil || l.User != workflow.EmailUser(to) {
		t.Errorf("the link's token: %+v, %v", l, err)
	}
	if m.Msg.Header.Get("Auto-Submitted") != "auto-generated" || m.Msg.Header.Get("Message-Id") == "" {
		t.Errorf("headers: %v", m.Msg.Header)
	}
}

func TestEveryEmailCarriesNoFreeTextOrSubjectRef(t *testing.T) {
	r := newRig(t)
	kinds := []workflow.MessageKind{workflow.MsgRaised, workflow.MsgProposal, workflow.MsgReminder, workflow.MsgEscalatedTo, workflow.MsgNote, workflow.MsgRecord, workflow.MsgLapsed, workflow.MsgInfo}
	var msgs []workflow.Message
	for _, k := range kinds {
		msgs = append(msgs, message("m-"+string(k), k, to))
	}
	r.enqueue(t, msgs...)
	if n, err := r.sender.RunOnce(context.Background()); err != nil || n != len(kinds) {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	got := r.smtp.Received()
	if len(got) != len(kinds) {
		t.Fatalf("%d emails, want %d", len(got), len(kinds))
	}
	asks := map[string]bool{}
	for _, m := range got {
		r.checkClean(t, m)
		if len(m.To) != 1 || m.To[0] != to || m.From != "escalate@partnership.example" {
			t.Errorf("envelope %s → %v", m.From, m.To)
		}
		asks[m.Msg.Header.Get("Subject")] = true
	}
	if len(asks) != len(kinds) {
		t.Errorf("kinds share subjects: %v", asks)
	}
	// What is asked follows the kind: a proposal asks to confirm.
	for _, m := range got {
		if strings.Contains(m.Msg.Header.Get("Subject"), "resolution has been proposed") &&
			!strings.Contains(m.Body, "On the page you can: confirm the resolution, say it is not agreed, add a note.") {
			t.Errorf("proposal's actions:\n%s", m.Body)
		}
	}
}

func TestTemporaryFailureThenDeliveredExactlyOnce(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.smtp.FailData(&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "try again later"})
	r.enqueue(t, message("m1", workflow.MsgRaised, to))
	if n, err := r.sender.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce on a 421 = %d, %v", n, err)
	}
	if len(r.smtp.Received()) != 0 {
		t.Fatal("a 421 counted as received")
	}
	if parked, _ := r.st.Parked(ctx); len(parked) != 0 {
		t.Fatalf("a 421 parked the email: %+v", parked)
	}
	r.clock.Advance(time.Minute) // past the first backoff
	if n, err := r.sender.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after the backoff: %d, %v", n, err)
	}
	r.clock.Advance(time.Hour)
	if n, _ := r.sender.RunOnce(ctx); n != 0 {
		t.Fatal("delivered twice")
	}
	// The item coming back after a crash between the 250 and the
	// acknowledgement is recognised and not sent again.
	it := store.OutboxItem{ID: store.ItemID("m1", "email"), Target: "email", Message: message("m1", workflow.MsgRaised, to)}
	if err := r.tr.Send(ctx, it); err != nil {
		t.Fatal(err)
	}
	got := r.smtp.Received()
	if len(got) != 1 || r.smtp.DataCalls() != 2 {
		t.Fatalf("%d emails over %d DATA commands, want 1 over 2", len(got), r.smtp.DataCalls())
	}
	r.checkClean(t, got[0])
	if id := got[0].Msg.Header.Get("Message-Id"); id != "<"+MessageID(it.ID, "escalate@partnership.example")+">" {
		t.Errorf("Message-ID %q is not the item's stable one", id)
	}
}

func TestPermanentFailureParks(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.smtp.Unknown("left@school.example")
	r.enqueue(t, message("gone", workflow.MsgRaised, "left@school.example"), message("ok", workflow.MsgRaised, to))
	if n, err := r.sender.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	parked, err := r.st.Parked(ctx)
	if err != nil || len(parked) != 1 || parked[0].ID != store.ItemID("gone", "email") || !strings.Contains(parked[0].LastError, "550") {
		t.Fatalf("parked = %+v, %v", parked, err)
	}
	if strings.Contains(parked[0].LastError, "s3cret") {
		t.Error("the parked error carries the SMTP password")
	}
	r.clock.Advance(24 * time.Hour)
	if n, _ := r.sender.RunOnce(ctx); n != 0 || r.smtp.DataCalls() != 1 {
		t.Fatalf("a parked email was tried again (%d DATA)", r.smtp.DataCalls())
	}
}

func TestWrongPasswordIsRetriedNotSent(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.tr.o.Server.Password = "wrong"
	r.enqueue(t, message("m1", workflow.MsgRaised, to))
	if n, _ := r.sender.RunOnce(ctx); n != 0 || len(r.smtp.Received()) != 0 {
		t.Fatal("sent with a wrong password")
	}
	if parked, _ := r.st.Parked(ctx); len(parked) != 0 {
		t.Fatal("a refused login parked the email at once: a fixed password should let it through")
	}
	r.tr.o.Server.Password = "s3cret"
	r.clock.Advance(time.Minute)
	if n, err := r.sender.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after the fix: %d, %v", n, err)
	}
}
