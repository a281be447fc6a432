package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// RekeyReport says what a rekey did.
type RekeyReport struct {
	KeyID string // the key everything is now under
	// Cases are the cases looked at (this run), Values the encrypted
	// values rewrapped (dispute fields, event texts, outbox messages and
	// errors), Outbox the outbox items looked at.
	Cases, Values, Outbox int
	// Resumed says the run took up where an interrupted one stopped.
	Resumed bool
	// Done says everything was rewrapped; false when MaxCases stopped it
	// (run it again to go on).
	Done bool
}

// RekeyOptions bound a rekey run.
type RekeyOptions struct {
	// Batch is how many cases are read from the index at a time (100).
	Batch int
	// MaxCases stops the run after that many cases, with the cursor
	// saved (0: no limit). Operators leave it 0; tests use it to stop a
	// run half-way and resume it.
	MaxCases int
}

// rekeyAttempts bounds the retries of one key's rewrap when writers keep
// changing it (each retry is after a real change, so it converges).
const rekeyAttempts = 100

// Rekey rewraps every encrypted value under the cipher's newest key:
// each case's free-text fields (d:<ref> j) and event texts (ex:<ref>),
// then the outbox's messages and errors (o:<id>). Values in clear (written
// before a key was configured) are encrypted.
//
// It is safe while the bot serves: each case (its d: and ex: keys) and
// each outbox item is rewritten in a WATCH/MULTI transaction, so a commit,
// a purge or a delivery that touches it in between aborts the rewrite,
// which is read again and retried; nothing a writer wrote is overwritten
// (and writers seal under the newest key anyway).
//
// It is resumable: after each case the cursor (B rekey:cursor, "<key id>
// <score> <ref>" in the all index) is saved, and a run for the same
// newest key takes up after it. The cursor is deleted once the outbox is
// done. Cases raised after the run started are written under the newest
// key already.
func (s *Store) Rekey(ctx context.Context, o RekeyOptions) (RekeyReport, error) {
	c := s.opts.Cipher
	if c == nil {
		return RekeyReport{}, errors.New("rekey: no encryption key is configured")
	}
	kid := c.keys[0].id
	rep := RekeyReport{KeyID: kid}
	batch := o.Batch
	if batch <= 0 {
		batch = 100
	}
	cursorKey := s.key("rekey:cursor")
	after, afterRef := "-inf", ""
	phase := "cases"
	if cur, err := s.rdb.Get(ctx, cursorKey).Result(); err == nil {
		f := strings.Fields(cur)
		switch {
		case len(f) == 3 && f[0] == kid:
			after, afterRef, rep.Resumed = f[1], f[2], true
		case len(f) == 2 && f[0] == kid && f[1] == "outbox":
			phase, rep.Resumed = "outbox", true
		}
	} else if !errors.Is(err, redis.Nil) {
		return rep, fmt.Errorf("rekey: read the cursor: %w", err)
	}
	for phase == "cases" {
		zs, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: s.key("all"), Start: after, Stop: "+inf", ByScore: true, Count: int64(batch + 1)}).Result()
		if err != nil {
			return rep, fmt.Errorf("rekey: list cases: %w", err)
		}
		progressed := false
		for _, z := range zs {
			ref := z.Member.(string)
			score := strconv.FormatFloat(z.Score, 'f', -1, 64)
			// Equal scores come in member order: skip what is done.
			if score == after && ref <= afterRef {
				continue
			}
			if o.MaxCases > 0 && rep.Cases >= o.MaxCases {
				return rep, nil
			}
			n, err := s.rekeyCase(ctx, ref)
			if err != nil {
				return rep, err
			}
			rep.Cases++
			rep.Values += n
			after, afterRef, progressed = score, ref, true
			if err := s.rdb.Set(ctx, cursorKey, kid+" "+score+" "+ref, 0).Err(); err != nil {
				return rep, fmt.Errorf("rekey: save the cursor: %w", err)
			}
		}
		if !progressed {
			phase = "outbox"
			if err := s.rdb.Set(ctx, cursorKey, kid+" outbox", 0).Err(); err != nil {
				return rep, fmt.Errorf("rekey: save the cursor: %w", err)
			}
		}
	}
	ids := map[string]bool{}
	for _, k := range []string{"ob", "ob:claimed", "ob:parked", "ob:age"} {
		m, err := s.rdb.ZRange(ctx, s.key(k), 0, -1).Result()
		if err != nil {
			return rep, fmt.Errorf("rekey: list the outbox: %w", err)
		}
		for _, id := range m {
			ids[id] = true
		}
	}
	for id := range ids {
		n, err := s.rekeyOutboxItem(ctx, id)
		if err != nil {
			return rep, err
		}
		rep.Outbox++
		rep.Values += n
	}
	if err := s.rdb.Del(ctx, cursorKey).Err(); err != nil {
		return rep, fmt.Errorf("rekey: clear the cursor: %w", err)
	}
	rep.Done = true
	return rep, nil
}

// watched runs fn in a WATCH on keys, again while another client changed
// them before fn's MULTI/EXEC ran.
func (s *Store) watched(ctx context.Context, what string, fn func(tx *redis.Tx) error, keys ...string) error {
	for range rekeyAttempts {
		err := s.rdb.Watch(ctx, fn, keys...)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return fmt.Errorf("rekey %s: %w", what, err)
		}
		return nil
	}
	return fmt.Errorf("rekey %s: it kept changing; run rekey again", what)
}

// rekeyCase rewraps one case's dispute fields and event texts, and
// returns how many values it rewrapped.
func (s *Store) rekeyCase(ctx context.Context, ref string) (int, error) {
	dk, xk := s.key("d:", ref), s.key("ex:", ref)
	c := s.opts.Cipher
	var n int
	err := s.watched(ctx, ref, func(tx *redis.Tx) error {
		n = 0
		raw, err := tx.HGet(ctx, dk, "j").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		texts, err := tx.HGetAll(ctx, xk).Result()
		if err != nil {
			return err
		}
		newJ := ""
		if raw != "" {
			var d workflow.Dispute
			if err := json.Unmarshal([]byte(raw), &d); err != nil {
				return fmt.Errorf("decode: %w", err)
			}
			for _, f := range d.FreeText() {
				if c.current(*f) {
					continue
				}
				if *f, err = c.rewrap(*f); err != nil {
					return err
				}
				n++
			}
			if n > 0 {
				b, err := json.Marshal(&d)
				if err != nil {
					return fmt.Errorf("encode: %w", err)
				}
				newJ = string(b)
			}
		}
		changed := map[string]any{}
		for i, v := range texts {
			if c.current(v) {
				continue
			}
			if changed[i], err = c.rewrap(v); err != nil {
				return fmt.Errorf("event text %s: %w", i, err)
			}
			n++
		}
		if n == 0 {
			return nil
		}
		if s.rekeyRead != nil {
			s.rekeyRead(ref)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if newJ != "" {
				p.HSet(ctx, dk, "j", newJ)
			}
			if len(changed) > 0 {
				p.HSet(ctx, xk, changed)
			}
			return nil
		})
		return err
	}, dk, xk)
	return n, err
}

// rekeyOutboxItem rewraps an outbox item's message and last error.
func (s *Store) rekeyOutboxItem(ctx context.Context, id string) (int, error) {
	k := s.key("o:", id)
	c := s.opts.Cipher
	var n int
	err := s.watched(ctx, "outbox item "+id, func(tx *redis.Tx) error {
		n = 0
		vals, err := tx.HMGet(ctx, k, "m", "e").Result()
		if err != nil {
			return err
		}
		changed := map[string]any{}
		for i, f := range []string{"m", "e"} {
			v, ok := vals[i].(string)
			if !ok || c.current(v) {
				continue // gone (delivered) or current
			}
			if changed[f], err = c.rewrap(v); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			n++
		}
		if n == 0 {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, k, changed)
			return nil
		})
		return err
	}, k)
	return n, err
}

// KeyIDs are the ids of the configured keys, newest first (none without a
// cipher).
func (s *Store) KeyIDs() []string { return s.opts.Cipher.KeyIDs() }
