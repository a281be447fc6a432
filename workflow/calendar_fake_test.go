package workflow

import (
	"testing"
	"time"
)

// fakeCalendar is a small deterministic working-day clock for the workflow
// tests: 09:00–17:00 Europe/London, Monday to Friday, minus a configurable
// set of holidays. The tests must not import workflow/calendar (a sibling
// package with its own tests), and the arithmetic here is simple enough to
// check by hand.
type fakeCalendar struct {
	loc      *time.Location
	holidays map[string]bool // "2026-04-03"
}

const (
	dayStart = 9 * time.Hour
	dayEnd   = 17 * time.Hour
)

func newFakeCalendar(t testing.TB, holidays ...string) *fakeCalendar {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatalf("load Europe/London: %v", err)
	}
	c := &fakeCalendar{loc: loc, holidays: map[string]bool{}}
	for _, h := range holidays {
		c.holidays[h] = true
	}
	return c
}

func (c *fakeCalendar) Location() *time.Location { return c.loc }

// midnight is the start of t's civil day in London.
func (c *fakeCalendar) midnight(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

// at is the civil day of t at clock time d.
func (c *fakeCalendar) at(t time.Time, d time.Duration) time.Time {
	m := c.midnight(t)
	return time.Date(m.Year(), m.Month(), m.Day(), 0, 0, 0, 0, c.loc).Add(d)
}

func (c *fakeCalendar) nextDay(t time.Time) time.Time {
	m := c.midnight(t)
	return time.Date(m.Year(), m.Month(), m.Day()+1, 0, 0, 0, 0, c.loc)
}

func (c *fakeCalendar) prevDay(t time.Time) time.Time {
	m := c.midnight(t)
	return time.Date(m.Year(), m.Month(), m.Day()-1, 0, 0, 0, 0, c.loc)
}

func (c *fakeCalendar) isWorkingDay(t time.Time) bool {
	t = t.In(c.loc)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.holidays[t.Format(time.DateOnly)]
}

func (c *fakeCalendar) clock(t time.Time) time.Duration { return t.Sub(c.midnight(t)) }

func (c *fakeCalendar) IsWorkingTime(t time.Time) bool {
	k := c.clock(t)
	return c.isWorkingDay(t) && k >= dayStart && k < dayEnd
}

func (c *fakeCalendar) NextWorkingStart(t time.Time) time.Time {
	if c.IsWorkingTime(t) {
		return t
	}
	if c.isWorkingDay(t) && c.clock(t) < dayStart {
		return c.at(t, dayStart)
	}
	d := c.nextDay(t)
	for !c.isWorkingDay(d) {
		d = c.nextDay(d)
	}
	return c.at(d, dayStart)
}

// AddWorkingDays: the same clock time n working days after the window
// opened (a window opened out of hours opens at the next working start).
func (c *fakeCalendar) AddWorkingDays(t time.Time, n int) time.Time {
	s := c.NextWorkingStart(t)
	k := c.clock(s)
	d := c.midnight(s)
	for range n {
		d = c.nextDay(d)
		for !c.isWorkingDay(d) {
			d = c.nextDay(d)
		}
	}
	return c.at(d, k)
}

func (c *fakeCalendar) AddWorkingHours(t time.Time, d time.Duration) time.Time {
	s := c.NextWorkingStart(t)
	for {
		end := c.at(s, dayEnd)
		if avail := end.Sub(s); d <= avail {
			return s.Add(d)
		} else {
			d -= avail
		}
		s = c.NextWorkingStart(end)
	}
}

// prevWorkingEnd is the latest instant at or before t that closes a span of
// working time: t itself within (09:00, 17:00] of a working day, else the
// 17:00 of the working day before.
func (c *fakeCalendar) prevWorkingEnd(t time.Time) time.Time {
	k := c.clock(t)
	if c.isWorkingDay(t) && k > dayStart && k <= dayEnd {
		return t
	}
	if c.isWorkingDay(t) && k > dayEnd {
		return c.at(t, dayEnd)
	}
	d := c.prevDay(t)
	for !c.isWorkingDay(d) {
		d = c.prevDay(d)
	}
	return c.at(d, dayEnd)
}

func (c *fakeCalendar) SubWorkingHours(t time.Time, d time.Duration) time.Time {
	p := c.prevWorkingEnd(t)
	for {
		start := c.at(p, dayStart)
		if avail := p.Sub(start); d <= avail {
			return p.Add(-d)
		} else {
			d -= avail
		}
		p = c.prevWorkingEnd(start)
	}
}

var _ Calendar = (*fakeCalendar)(nil)

// The workflow tests lean on this calendar, so it is checked first.
func TestFakeCalendar(t *testing.T) {
	cal := newFakeCalendar(t, "2026-04-03", "2026-04-06") // Good Friday, Easter Monday
	london := cal.loc
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, london) }
	cases := []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"working time stays", cal.NextWorkingStart(at(2026, 3, 2, 10, 0)), at(2026, 3, 2, 10, 0)},
		{"early morning opens at nine", cal.NextWorkingStart(at(2026, 3, 2, 7, 30)), at(2026, 3, 2, 9, 0)},
		{"five pm is after hours", cal.NextWorkingStart(at(2026, 3, 2, 17, 0)), at(2026, 3, 3, 9, 0)},
		{"friday evening opens monday", cal.NextWorkingStart(at(2026, 3, 6, 18, 0)), at(2026, 3, 9, 9, 0)},
		{"easter skips four days", cal.NextWorkingStart(at(2026, 4, 2, 17, 30)), at(2026, 4, 7, 9, 0)},
		{"one working day", cal.AddWorkingDays(at(2026, 3, 2, 10, 0), 1), at(2026, 3, 3, 10, 0)},
		{"friday to monday", cal.AddWorkingDays(at(2026, 3, 6, 15, 0), 1), at(2026, 3, 9, 15, 0)},
		{"over easter", cal.AddWorkingDays(at(2026, 4, 2, 11, 0), 1), at(2026, 4, 7, 11, 0)},
		{"raised on saturday", cal.AddWorkingDays(at(2026, 3, 7, 12, 0), 1), at(2026, 3, 10, 9, 0)},
		{"across the clocks changing", cal.AddWorkingDays(at(2026, 3, 27, 10, 0), 1), at(2026, 3, 30, 10, 0)},
		{"hours within a day", cal.AddWorkingHours(at(2026, 3, 2, 10, 0), 2*time.Hour), at(2026, 3, 2, 12, 0)},
		{"hours over the evening", cal.AddWorkingHours(at(2026, 3, 2, 16, 0), 2*time.Hour), at(2026, 3, 3, 10, 0)},
		{"hours to the close", cal.AddWorkingHours(at(2026, 3, 2, 15, 0), 2*time.Hour), at(2026, 3, 2, 17, 0)},
		{"sub within a day", cal.SubWorkingHours(at(2026, 3, 3, 14, 0), 2*time.Hour), at(2026, 3, 3, 12, 0)},
		{"sub over the night", cal.SubWorkingHours(at(2026, 3, 3, 10, 0), 2*time.Hour), at(2026, 3, 2, 16, 0)},
		{"sub from nine", cal.SubWorkingHours(at(2026, 3, 3, 9, 0), 2*time.Hour), at(2026, 3, 2, 15, 0)},
		{"sub over a weekend", cal.SubWorkingHours(at(2026, 3, 9, 10, 0), 3*time.Hour), at(2026, 3, 6, 15, 0)},
		{"sub from the evening", cal.SubWorkingHours(at(2026, 3, 2, 20, 0), time.Hour), at(2026, 3, 2, 16, 0)},
	}
	for _, c := range cases {
		if !c.got.Equal(c.want) {
			t.Errorf("%s: got %s, want %s", c.name, c.got.In(london), c.want)
		}
	}
	if cal.IsWorkingTime(at(2026, 4, 3, 12, 0)) || !cal.IsWorkingTime(at(2026, 4, 2, 16, 59)) || cal.IsWorkingTime(at(2026, 3, 7, 12, 0)) {
		t.Error("IsWorkingTime ignores a holiday, the weekend or the hours")
	}
}
