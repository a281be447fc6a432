package console

import (
	"sync"
	"time"
)

// Clock is the practice clock: it starts at the real time and only moves
// when someone presses a time control. It exists only in the console; the
// Slack and Teams modes always run on real time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a practice clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the practice time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t; it never goes backwards, since timers and the
// record assume time only moves on.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}
