package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

func newKey(t *testing.T) string {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

func TestCipherKeysAndValues(t *testing.T) {
	for _, bad := range []string{"", "not base64 !!", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, err := NewCipher(bad); err == nil {
			t.Errorf("NewCipher(%q) accepted a bad key", bad)
		}
	}
	key := newKey(t)
	c, err := NewCipher(key)
	must(t, err)
	raw, _ := base64.StdEncoding.DecodeString(key)
	if _, err := NewCipher(base64.RawURLEncoding.EncodeToString(raw)); err != nil {
		t.Errorf("an unpadded URL-safe key: %v", err)
	}
	a, _ := c.Encrypt("same words")
	b, _ := c.Encrypt("same words")
	if a == b || !strings.HasPrefix(a, "enc:v2:"+c.KeyIDs()[0]+":") || strings.Contains(a, "same words") {
		t.Errorf("ciphertexts %q and %q", a, b)
	}
	if p, err := c.Decrypt(a); err != nil || p != "same words" {
		t.Errorf("Decrypt = %q, %v", p, err)
	}
	if e, _ := c.Encrypt(""); e != "" {
		t.Errorf("the empty string encrypts to %q", e)
	}
	if p, err := c.Decrypt("written before the key"); err != nil || p != "written before the key" {
		t.Errorf("clear text from before encryption: %q %v", p, err)
	}
	tampered := a[:len(a)-2] + "AA"
	if _, err := c.Decrypt(tampered); err == nil {
		t.Error("a tampered value opened")
	}
	other, _ := NewCipher(newKey(t))
	if _, err := other.Decrypt(a); err == nil {
		t.Error("another key opened the value")
	}
	var none *Cipher
	if _, err := none.Decrypt(a); err == nil {
		t.Error("an encrypted value read without a key")
	}
}

// secrets are the free text of one case; none may appear in Redis.
var secrets = []string{"SUBJREF-4471", "DECISION-TEXT-1", "DISAGREE-TEXT-2", "OUTCOME-TEXT-3", "EVIDENCE-TEXT-4", "STARTREASON-5",
	"NOTE-TEXT-6", "PROPOSAL-OUTCOME-7", "OUTSTANDING-8", "HOWPURSUED-9", "DEBRIEF-10", "PLATFORM-ERROR-11"}

func secretCase(ref string) *workflow.Result {
	r := raised(ref, t0)
	d := r.Dispute
	d.SubjectRef, d.DecisionDisputed, d.Disagreement, d.OutcomeSought, d.Evidence, d.StartReason = secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5]
	p := &workflow.Proposal{Outcome: secrets[7], Outstanding: secrets[8], HowPursued: secrets[9], ProposedBy: raiser, ProposedBySide: workflow.SideRaiser, ProposedAt: t0}
	d.Proposal = p
	d.Debriefs = []workflow.Debrief{{By: raiser, At: t0, Text: secrets[10]}}
	r.Events[0].Text = secrets[6]
	r.Events = append(r.Events, workflow.Event{Ref: ref, Seq: 2, Kind: workflow.CmdPropose, Actor: raiser, At: t0, Stage: 1, Summary: "Resolution proposed", Proposal: p})
	d.Version = 2
	r.Messages[0].Lines = []string{secrets[2], secrets[3]}
	r.Messages[0].Facts = []workflow.Fact{{Label: "Subject", Value: secrets[0]}}
	r.Messages[0].History = []workflow.HistoryEntry{{At: t0, Stage: 1, Actor: "Sam", Summary: "Raised", Text: secrets[6]}}
	return r
}

func TestFreeTextIsEncryptedAtRestAndRoundTrips(t *testing.T) {
	ctx := context.Background()
	key := newKey(t)
	c, err := NewCipher(key)
	must(t, err)
	s := newTestStore(t, Options{Cipher: c, Now: func() time.Time { return t0 }})
	r := secretCase("ESC-2026-0001")
	must(t, s.Commit(ctx, r, ""))
	items, err := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	must(t, err)
	must(t, s.RetryOutbox(ctx, items[0], t0, secrets[11]))

	dump := s.dump(t)
	for _, secret := range secrets {
		if strings.Contains(dump, secret) {
			t.Errorf("%s is readable in Redis", secret)
		}
	}
	// The dump is real: what is not free text is there in clear, and the
	// ciphertext is there too.
	for _, clear := range []string{"thresholds", "Raised at stage 1", "ESC-2026-0001|lapse|1", "enc:v2:"} {
		if !strings.Contains(dump, clear) {
			t.Errorf("the dump lacks %q: is it reading the store's keys?\n%s", clear, dump)
		}
	}

	d, hist, err := s.Load(ctx, "ESC-2026-0001")
	must(t, err)
	if d.SubjectRef != secrets[0] || d.Evidence != secrets[4] || d.Proposal.HowPursued != secrets[9] || d.Debriefs[0].Text != secrets[10] {
		t.Errorf("dispute did not round-trip: %+v", d)
	}
	if hist[0].Text != secrets[6] || hist[1].Proposal.Outstanding != secrets[8] {
		t.Errorf("events did not round-trip: %+v", hist)
	}
	entries, _ := s.Stream(ctx, "", 10)
	if len(entries) != 2 || entries[0].Event.Text != secrets[6] || entries[1].Event.Proposal.Outcome != secrets[7] {
		t.Errorf("stream did not round-trip: %+v", entries)
	}
	again, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(again) != 1 || again[0].LastError != secrets[11] || again[0].Message.Lines[0] != secrets[2] || again[0].Message.History[0].Text != secrets[6] {
		t.Errorf("outbox did not round-trip: %+v", again)
	}

	// Without the key (or with another) the store says so rather than
	// handing out ciphertext.
	for name, opts := range map[string]Options{"no key": {}, "another key": {Cipher: mustCipher(t, newKey(t))}} {
		opts.Prefix = s.opts.Prefix
		other := New(s.rdb, opts)
		if _, _, err := other.Load(ctx, "ESC-2026-0001"); err == nil {
			t.Errorf("%s: Load read encrypted data", name)
		}
	}
}

func mustCipher(t *testing.T, key string) *Cipher {
	c, err := NewCipher(key)
	must(t, err)
	return c
}

// sealV1 seals a value as the first format did: one key, no key id.
func sealV1(t *testing.T, base64Key, plain string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(base64Key)
	must(t, err)
	block, err := aes.NewCipher(key)
	must(t, err)
	aead, err := cipher.NewGCM(block)
	must(t, err)
	nonce := make([]byte, aead.NonceSize())
	return "enc:v1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), nil))
}

// TestKeyringPicksTheKeyByID: with several keys (newest first) values are
// sealed under the newest and carry its id; a value names the key that
// opens it, so one sealed under an older key still opens, one of the first
// format (no id) opens with whichever key fits, and one under a key no
// longer configured is refused naming that key's id.
func TestKeyringPicksTheKeyByID(t *testing.T) {
	oldKey, newKey1 := newKey(t), newKey(t)
	old, err := NewCipher(oldKey)
	must(t, err)
	ring, err := NewKeyring(newKey1, oldKey)
	must(t, err)
	if ids := ring.KeyIDs(); len(ids) != 2 || ids[1] != old.KeyIDs()[0] || ids[0] == ids[1] || len(ids[0]) != 8 {
		t.Fatalf("key ids %v (old %v)", ids, old.KeyIDs())
	}
	underOld, _ := old.Encrypt("written last year")
	if p, err := ring.Decrypt(underOld); err != nil || p != "written last year" {
		t.Fatalf("a value under the older key: %q %v", p, err)
	}
	if ring.current(underOld) {
		t.Fatal("a value under the older key counts as current")
	}
	fresh, _ := ring.Encrypt("written today")
	if !strings.HasPrefix(fresh, "enc:v2:"+ring.KeyIDs()[0]+":") || !ring.current(fresh) {
		t.Fatalf("sealed %q, not under the newest key %s", fresh, ring.KeyIDs()[0])
	}
	v1 := sealV1(t, oldKey, "from before key ids")
	if p, err := ring.Decrypt(v1); err != nil || p != "from before key ids" {
		t.Fatalf("a value of the first format: %q %v", p, err)
	}
	if ring.current(v1) || ring.current("clear text") || !ring.current("") {
		t.Fatal("current misjudges a first-format, clear or empty value")
	}
	re, err := ring.rewrap(v1)
	if err != nil || !ring.current(re) {
		t.Fatalf("rewrap: %q %v", re, err)
	}
	newOnly, _ := NewCipher(newKey1)
	_, err = newOnly.Decrypt(underOld)
	if err == nil || !strings.Contains(err.Error(), old.KeyIDs()[0]) {
		t.Fatalf("a value under a key no longer configured: %v", err)
	}
	if _, err := NewKeyring(oldKey, oldKey); err == nil {
		t.Fatal("the same key twice was accepted")
	}
	if _, err := NewKeyring(newKey1, "short"); err == nil || !strings.Contains(err.Error(), "key 2") {
		t.Fatalf("a bad second key: %v", err)
	}
}
