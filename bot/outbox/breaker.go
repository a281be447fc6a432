package outbox

import (
	"sync"
	"time"
)

// breaker is one platform's circuit breaker. Closed, every item is tried.
// After Threshold failures in a row (5xx, timeouts, 429s) it opens: the
// platform is not called at all, and its items are deferred, in order,
// to the moment it will be probed. Then one item is tried (half open): a
// success closes it and the backlog goes out at once; a failure opens it
// again for twice as long, up to MaxCooldown, so a platform that has come
// back is found within MaxCooldown and its backlog clears right after.
type breaker struct {
	threshold   int
	cooldown    time.Duration // the first open period
	maxCooldown time.Duration

	mu       sync.Mutex
	failures int           // in a row
	until    time.Time     // open until then; zero when closed
	open     time.Duration // how long it opened for last
	probed   time.Time     // the until a probe was put back for
	seq      int           // orders items deferred to one time, in the order they were deferred

	// held: conversations whose earlier message failed and is due again
	// at a time; a later message to them waits until after it, so each
	// conversation keeps its order.
	held map[string]heldConv
}

type heldConv struct {
	id    string
	until time.Time
}

// hold marks a conversation as waiting for item id, due again at at:
// later messages to it are deferred until after that item. The oldest
// waiting item holds it; the hold ends when that item is tried again
// (release), or a lease after it was due (another sender took it).
func (b *breaker) hold(conv, id string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held == nil {
		b.held = map[string]heldConv{}
	}
	if h, ok := b.held[conv]; !ok || h.id == id {
		b.held[conv] = heldConv{id: id, until: at}
	}
}

// heldUntil reports whether item id of conv must wait (at now) for an
// earlier one, until when, and its order among those deferred there.
// The item holding the conversation is never held: its hold is released.
func (b *breaker) heldUntil(conv, id string, now time.Time, stale time.Duration) (time.Time, int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.held[conv]
	if !ok {
		return time.Time{}, 0, false
	}
	if h.id == id || now.After(h.until.Add(stale)) {
		delete(b.held, conv)
		return time.Time{}, 0, false
	}
	return h.until, b.nextSeq(), true
}

// allow reports whether the platform may be called at now; when it may
// not, it gives the time the probe will be and a sequence number that
// keeps deferred items in order.
func (b *breaker) allow(now time.Time) (bool, time.Time, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until.IsZero() || !now.Before(b.until) {
		return true, time.Time{}, 0
	}
	return false, b.until, b.nextSeq()
}

// nextSeq orders deferrals: an item deferred later to the same time goes
// after (its conversation's earlier messages were deferred before it).
func (b *breaker) nextSeq() int {
	b.seq = b.seq%999999 + 1
	return b.seq
}

// next is nextSeq under the lock.
func (b *breaker) next() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nextSeq()
}

// isOpen reports whether the circuit is open at now, and until when.
func (b *breaker) isOpen(now time.Time) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.until, !b.until.IsZero() && now.Before(b.until)
}

// success closes the circuit; it reports whether it was open (a probe
// succeeded: the paused backlog can go).
func (b *breaker) success() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := !b.until.IsZero()
	b.failures, b.until, b.open, b.probed = 0, time.Time{}, 0, time.Time{}
	return was
}

// probeDue reports, once per open period, that the circuit's time is up
// and one paused item should be put back to probe the platform.
func (b *breaker) probeDue(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until.IsZero() || now.Before(b.until) || b.probed.Equal(b.until) {
		return false
	}
	b.probed = b.until
	return true
}

// failure counts a failure at now; it opens (or, after a failed probe,
// reopens) the circuit for at least hold. It reports whether the circuit
// is now open.
func (b *breaker) failure(now time.Time, hold time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	probe := !b.until.IsZero() // a failed probe: it was open before
	if !probe && b.failures < b.threshold {
		return false
	}
	d := b.cooldown
	if probe {
		d = min(2*b.open, b.maxCooldown)
	}
	d = max(d, hold)
	b.open, b.until = d, now.Add(d)
	return true
}
