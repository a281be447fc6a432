package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

// After `escalate purge`, nothing a purged case said, nor its subject
// reference, nor the names it kept of its people, is anywhere in Redis:
// every key under the deployment's prefix is read whole and every
// encrypted value opened. Before the purge the same scan finds them (the
// scan is real), and none of it in clear (encryption at rest is real).
func TestPurgeLeavesNothingOfTheCaseInRedis(t *testing.T) {
	env := adminEnv(t)
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := config.Load("", getenv)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2016, 3, 1, 10, 0, 0, 0, time.UTC)
	a, err := open(ctx, cfg, getenv, log, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// The other practitioner is not in the directory: the case keeps the
	// name their platform gave them.
	const unlisted, unlistedName = workflow.UserID("slack:U0PRIYA"), "Priya Unlisted-Kaur, Duty Nurse"
	if err := a.store.KeepPlatformNames(ctx, map[workflow.UserID]store.PlatformName{unlisted: {Name: "Priya Unlisted-Kaur", Title: "Duty Nurse", Found: true, At: at}}); err != nil {
		t.Fatal(err)
	}
	const (
		note     = "Grandmother now says the boyfriend visits at weekends"
		withdraw = "Family moved to another authority on 3 March"
	)
	res, err := a.engine.Raise(ctx, "console:sw", workflow.RaiseInput{SubjectType: workflow.SubjectChild, SubjectRef: secretSubject,
		Category: workflow.CatThresholds, DecisionDisputed: "Referral closed with no further action", Disagreement: secretDisagreement,
		OutcomeSought: secretOutcome, Evidence: "Health visitor's notes of 17 November",
		RaiserAgency: "childrens-social-care", ResponderAgency: "community-health", Responder: unlisted}, "")
	if err != nil {
		t.Fatal(err)
	}
	ref := res.Dispute.Ref
	if _, err := a.engine.Do(ctx, ref, workflow.Command{Kind: workflow.CmdComment, Actor: "console:sw", Text: note}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.engine.Do(ctx, ref, workflow.Command{Kind: workflow.CmdWithdraw, Actor: "console:sw", Text: withdraw}, ""); err != nil {
		t.Fatal(err)
	}
	d, _, err := a.store.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.Names[unlisted] != unlistedName {
		t.Fatalf("the case did not keep the unlisted practitioner's name: %v", d.Names)
	}

	words := []string{secretSubject, secretDisagreement, secretOutcome, note, withdraw,
		"Referral closed with no further action", "notes of 17 November"}
	// The people's names are the business team's working information, in
	// clear while the case lives (the feed carries them too); past
	// retention they go with the rest.
	names := []string{"Priya Unlisted-Kaur", "Sam Social Worker"}
	// The practice configuration keeps its keys under practice: as well.
	prefix := practicePrefix + env["ESCALATE_REDIS_PREFIX"]
	keys, err := store.NewKeyring(env["ESCALATE_ENCRYPTION_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	raw, opened, err := storetest.Scan(ctx, a.store, prefix, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		if strings.Contains(raw, w) {
			t.Errorf("%q is in clear in Redis before the purge", w)
		}
	}
	for _, w := range append(words, names...) {
		if !strings.Contains(opened, w) {
			t.Errorf("the scan does not find %q before the purge: is it reading the keys?", w)
		}
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"purge"}, &out, getenv, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "purged: 1") {
		t.Fatalf("purge: %s", out.String())
	}
	_, opened, err = storetest.Scan(ctx, a.store, prefix, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(words, names...) {
		if strings.Contains(opened, w) {
			t.Errorf("%q is still in Redis after the purge", w)
		}
	}
	// What the board reports need stays.
	for _, kept := range []string{ref, "childrens-social-care", "community-health", "thresholds"} {
		if !strings.Contains(opened, kept) {
			t.Errorf("the purge removed %q, which the reports need", kept)
		}
	}
	if testing.Verbose() && t.Failed() {
		t.Log(opened)
	}
}
