package scheduler

import (
	"testing"
	"time"
)

// TEMPORARY stand-in until workflow/calendar lands.
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

const (
	dayStart = 9 * time.Hour
	dayEnd   = 17 * time.Hour
)

func (c *fakeCalendar) IsWorkingDay(t time.Time) bool { return c.isWorkingDay(t) }
func (c *fakeCalendar) WorkingDaysBetween(a, b time.Time) float64 {
	n := 0
	for !c.AddWorkingDays(a, n+1).After(b) {
		n++
	}
	return float64(n)
}

type fakeCalendar struct {
	loc      *time.Location
	holidays map[string]bool // "2026-04-03"
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


func newCal(t testing.TB) Calendar {
	return newFakeCalendar(t, "2026-12-25", "2026-12-28", "2027-01-01")
}
