package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRekeyWhileServing rotates the key of a store in use, against the
// real Redis when REDIS_URL is set (CI).
//
// Before: cases written in clear (before any key), under the old key, and
// outbox items under the old key. A first run is stopped after 5 cases
// and leaves its cursor; the second takes up from it. During that second
// run, writers keep adding notes to every case (under the new key, as a
// replica restarted with ESCALATE_ENCRYPTION_KEYS="new,old" does). After:
// every encrypted value in Redis names the new key; no marker written in
// clear is left anywhere; a store with only the new key reads every case
// with every note the writers committed (nothing lost to the rewrap); and
// a run again finds nothing to do.
func TestRekeyWhileServing(t *testing.T) {
	ctx := context.Background()
	oldKey, newK := newKey(t), newKey(t)
	oldC, _ := NewCipher(oldKey)
	ring, err := NewKeyring(newK, oldKey)
	must(t, err)
	newOnly, _ := NewCipher(newK)
	prefix := uniquePrefix(t)
	url := testURL(t)
	clear := newStoreAt(t, url, Options{Prefix: prefix})
	old := newStoreAt(t, url, Options{Prefix: prefix, Cipher: oldC})
	st := newStoreAt(t, url, Options{Prefix: prefix, Cipher: ring})
	replica := newStoreAt(t, url, Options{Prefix: prefix, Cipher: ring}) // another replica's connections

	const cases = 12
	var refs []string
	for i := range cases {
		ref := fmt.Sprintf("ESC-2026-%04d", i+1)
		refs = append(refs, ref)
		w := old
		if i < 2 {
			w = clear // written before the partnership set a key
		}
		r := raised(ref, t0.Add(time.Duration(i)*time.Minute))
		r.Dispute.Disagreement = fmt.Sprintf("BEFORE-DISAGREEMENT-%d", i)
		must(t, w.Commit(ctx, r, ""))
		d, _, err := w.Load(ctx, ref)
		must(t, err)
		must(t, w.Commit(ctx, noted(d, fmt.Sprintf("BEFORE-NOTE-%d", i), t0.Add(time.Hour)), ""))
	}
	if !strings.Contains(old.dump(t), "BEFORE-NOTE-0") {
		t.Fatal("the case written in clear is not in clear: the test proves nothing")
	}

	// An interrupted run leaves its cursor.
	rep, err := st.Rekey(ctx, RekeyOptions{Batch: 4, MaxCases: 5})
	must(t, err)
	if rep.Done || rep.Cases != 5 {
		t.Fatalf("the interrupted run: %+v", rep)
	}
	cur, err := st.rdb.Get(ctx, st.key("rekey:cursor")).Result()
	if err != nil || !strings.HasPrefix(cur, ring.KeyIDs()[0]+" ") || !strings.HasSuffix(cur, " "+refs[4]) {
		t.Fatalf("the cursor after 5 cases is %q (%v)", cur, err)
	}

	// Writers keep working on the cases the first run did while the
	// second goes on.
	var stop atomic.Bool
	var wg sync.WaitGroup
	notes := make([]atomic.Int64, cases)
	var during atomic.Int64
	var rekeying atomic.Bool
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				i := (w + 2*n) % 5 // the cases the first run did; the strike below covers the rest
				d, _, err := st.Load(ctx, refs[i])
				if err != nil {
					errs <- err
					return
				}
				err = st.Commit(ctx, noted(d, fmt.Sprintf("DURING-NOTE-%d-%d-%d", i, w, n), t0.Add(2*time.Hour)), "")
				switch {
				case errors.Is(err, ErrConflict):
					continue
				case err != nil:
					errs <- err
					return
				}
				notes[i].Add(1)
				if rekeying.Load() {
					during.Add(1)
				}
			}
		})
	}
	// Let the writers get going, then resume.
	for notes[0].Load()+notes[1].Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	// And one strikes exactly between the rekey's read of a case and its
	// write, on every case the resumed run rewraps: the rewrap must not
	// write back what it read.
	struck := map[string]bool{}
	st.rekeyRead = func(ref string) {
		if struck[ref] {
			return
		}
		struck[ref] = true
		i := slices.Index(refs, ref)
		for { // the other writers may get there first
			d, _, err := replica.Load(ctx, ref)
			must(t, err)
			err = replica.Commit(ctx, noted(d, fmt.Sprintf("DURING-NOTE-%d-struck", i), t0.Add(2*time.Hour)), "")
			if errors.Is(err, ErrConflict) {
				continue
			}
			must(t, err)
			notes[i].Add(1)
			return
		}
	}
	rekeying.Store(true)
	rep, err = st.Rekey(ctx, RekeyOptions{Batch: 4})
	rekeying.Store(false)
	must(t, err)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a writer: %v", err)
	}
	if !rep.Done || !rep.Resumed || rep.Cases != cases-5 || rep.Outbox == 0 {
		t.Fatalf("the resumed run: %+v", rep)
	}
	if len(struck) == 0 {
		t.Fatal("no write struck between a rekey's read and write: the test proves nothing")
	}
	if during.Load() == 0 {
		t.Fatal("no write happened while the rekey ran: the test proves nothing")
	}
	t.Logf("rekey: %+v; %d notes committed while it ran", rep, during.Load())

	// Every encrypted value names the new key; nothing is in clear.
	dump := st.dump(t)
	newID, oldID := ring.KeyIDs()[0], ring.KeyIDs()[1]
	for _, m := range regexp.MustCompile(`enc:v[0-9]+:[0-9a-f]{8}:|enc:v1:`).FindAllString(dump, -1) {
		if m != "enc:v2:"+newID+":" {
			t.Fatalf("a value is still %q after the rekey (new key %s, old %s)", m, newID, oldID)
		}
	}
	for _, marker := range []string{"BEFORE-", "DURING-", "CASE-7781", "we think the threshold"} {
		if strings.Contains(dump, marker) {
			t.Fatalf("%q is in clear in Redis after the rekey", marker)
		}
	}
	if _, err := st.rdb.Get(ctx, st.key("rekey:cursor")).Result(); err == nil {
		t.Fatal("the cursor outlived a finished run")
	}

	// The old key can go: everything reads, nothing is lost.
	after := newStoreAt(t, url, Options{Prefix: prefix, Cipher: newOnly})
	for i, ref := range refs {
		d, hist, err := after.Load(ctx, ref)
		if err != nil {
			t.Fatalf("%s with the new key only: %v", ref, err)
		}
		want := 2 + int(notes[i].Load())
		if d.Version != want || len(hist) != want {
			t.Fatalf("%s is at version %d with %d events; %d were committed", ref, d.Version, len(hist), want)
		}
		if d.Disagreement != fmt.Sprintf("BEFORE-DISAGREEMENT-%d", i) || hist[1].Text != fmt.Sprintf("BEFORE-NOTE-%d", i) {
			t.Fatalf("%s reads %q / %q", ref, d.Disagreement, hist[1].Text)
		}
		for _, e := range hist[2:] {
			if !strings.HasPrefix(e.Text, fmt.Sprintf("DURING-NOTE-%d-", i)) {
				t.Fatalf("%s has a note %q", ref, e.Text)
			}
		}
	}
	items, err := after.ClaimOutbox(ctx, t0.Add(1000*time.Hour), 1000, time.Minute)
	if err != nil || len(items) == 0 {
		t.Fatalf("the outbox with the new key only: %d items, %v", len(items), err)
	}
	rep, err = after.Rekey(ctx, RekeyOptions{})
	if err != nil || rep.Values != 0 || rep.Resumed || !rep.Done {
		t.Fatalf("a second full run: %+v %v", rep, err)
	}
}
