// Package calendar is Escalate's working-day clock: when a window of N
// working days (or hours) that opens at a given time closes, skipping
// weekends, the bank holidays of the configured UK nation and the
// partnership's closure days.
//
// Bank holiday rules come from github.com/rickar/cal/v2 (its gb package has
// England and Wales). What that package lacks is built here from the
// library's own holiday types, not from a list of dates: Scotland's
// 2 January and St Andrew's Day, Northern Ireland's St Patrick's Day and
// Battle of the Boyne, and the substitute-day rules for each. One-off bank
// holidays the library does not know (the State Funeral of 19 September
// 2022, say, or any future one) come from configuration as closures.
package calendar

import (
	"fmt"
	"sort"
	"sync"
	"time"
	_ "time/tzdata" // Europe/London must work on machines without zoneinfo

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"
)

// Region is the UK nation whose bank holidays apply.
type Region string

const (
	EnglandAndWales Region = "england-and-wales"
	Scotland        Region = "scotland"
	NorthernIreland Region = "northern-ireland"
)

// Date is a civil date, for closure days.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "2026-12-24".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func dateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// Config describes a partnership's working time.
type Config struct {
	Region   Region         // "" means England and Wales
	Location *time.Location // nil means Europe/London
	// DayStart and DayEnd are offsets from midnight; both zero means 09:00–17:00.
	DayStart, DayEnd time.Duration
	// Closures are extra non-working days: partnership closures and
	// one-off bank holidays.
	Closures []Date
}

// Holiday is one non-working day other than a weekend.
type Holiday struct {
	Date Date
	Name string
}

// Calendar answers working-time questions. It is safe for concurrent use.
type Calendar struct {
	loc        *time.Location
	start, end time.Duration
	rules      []*cal.Holiday
	closures   map[Date]string

	mu    sync.Mutex
	years map[int]map[Date]string // holidays by year, computed on first use
}

// weekendToMonday moves a holiday on a Saturday or Sunday to the Monday.
var weekendToMonday = []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 1}}

// secondDayObserved is the rule for the second of two consecutive holidays
// (Boxing Day; Scotland's 2 January): it moves past the first one's
// substitute.
var secondDayObserved = []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 2}, {Day: time.Monday, Offset: 1}}

func fixed(name string, m time.Month, day int, observed []cal.AltDay) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservanceBank, Month: m, Day: day, Func: cal.CalcDayOfMonth, Observed: observed}
}

func rulesFor(r Region) ([]*cal.Holiday, error) {
	switch r {
	case EnglandAndWales, "":
		return gb.Holidays, nil
	case Scotland:
		// Scotland: 2 January and St Andrew's Day; no Easter Monday; the
		// summer holiday is the first Monday of August, not the last.
		return []*cal.Holiday{
			gb.NewYear,
			fixed("2nd January", time.January, 2, secondDayObserved),
			gb.GoodFriday, gb.EarlyMay, gb.VEDay, gb.CoronationDay,
			gb.SpringHoliday, gb.SpringHoliday2022, gb.PlatinumJubilee,
			gb.SummerHolidayScotland,
			fixed("St Andrew's Day", time.November, 30, weekendToMonday),
			gb.ChristmasDay, gb.BoxingDay,
		}, nil
	case NorthernIreland:
		return append(append([]*cal.Holiday(nil), gb.Holidays...),
			fixed("St Patrick's Day", time.March, 17, weekendToMonday),
			fixed("Battle of the Boyne (Orangemen's Day)", time.July, 12, weekendToMonday),
		), nil
	}
	return nil, fmt.Errorf("region: must be england-and-wales, scotland or northern-ireland, not %q", r)
}

// New builds a calendar; its errors name the field at fault.
func New(cfg Config) (*Calendar, error) {
	rules, err := rulesFor(cfg.Region)
	if err != nil {
		return nil, err
	}
	loc := cfg.Location
	if loc == nil {
		if loc, err = time.LoadLocation("Europe/London"); err != nil {
			return nil, fmt.Errorf("location: %w", err)
		}
	}
	start, end := cfg.DayStart, cfg.DayEnd
	if start == 0 && end == 0 {
		start, end = 9*time.Hour, 17*time.Hour
	}
	if start < 0 || end > 24*time.Hour || start >= end {
		return nil, fmt.Errorf("working_hours: the day must start before it ends, within 00:00–24:00")
	}
	c := &Calendar{loc: loc, start: start, end: end, rules: rules, closures: map[Date]string{}, years: map[int]map[Date]string{}}
	for _, d := range cfg.Closures {
		c.closures[d] = "Closure day"
	}
	return c, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// DayLength is the length of one working day.
func (c *Calendar) DayLength() time.Duration { return c.end - c.start }

func (c *Calendar) holidays(year int) map[Date]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.years[year]; ok {
		return h
	}
	h := map[Date]string{}
	// A holiday observed in January can come from the previous year's
	// rules (a substitute for 26 December never crosses the year, but
	// guard anyway by looking at both years).
	for _, y := range []int{year - 1, year} {
		for _, r := range c.rules {
			_, observed := r.Calc(y)
			if !observed.IsZero() && observed.Year() == year {
				h[dateOf(observed)] = r.Name
			}
		}
	}
	for d, name := range c.closures {
		if d.Year == year {
			if _, ok := h[d]; !ok {
				h[d] = name
			}
		}
	}
	c.years[year] = h
	return h
}

// IsHoliday reports whether t's day (in the calendar's zone) is a bank
// holiday or closure day.
func (c *Calendar) IsHoliday(t time.Time) (Holiday, bool) {
	d := dateOf(t.In(c.loc))
	name, ok := c.holidays(d.Year)[d]
	return Holiday{Date: d, Name: name}, ok
}

// Holidays lists the bank holidays and closure days of a year, in order.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for d, n := range c.holidays(year) {
		out = append(out, Holiday{Date: d, Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.String() < out[j].Date.String() })
	return out
}

// IsWorkingDay reports whether t's day is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(c.loc)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, hol := c.IsHoliday(t)
	return !hol
}

// at is the instant of clock offset off on t's day (DST-aware: a wall
// clock time, not a duration since midnight).
func (c *Calendar) at(t time.Time, off time.Duration) time.Time {
	t = t.In(c.loc)
	h, m := int(off/time.Hour), int(off%time.Hour/time.Minute)
	s := int(off % time.Minute / time.Second)
	return time.Date(t.Year(), t.Month(), t.Day(), h, m, s, 0, c.loc)
}

// clock is t's wall-clock offset from midnight.
func (c *Calendar) clock(t time.Time) time.Duration {
	t = t.In(c.loc)
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

func (c *Calendar) nextDay(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 12, 0, 0, 0, c.loc)
}

// IsWorkingTime reports whether t is inside working hours on a working day.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	if !c.IsWorkingDay(t) {
		return false
	}
	k := c.clock(t)
	return k >= c.start && k < c.end
}

// NextWorkingStart is t itself when it is working time, else the start of
// the next working period.
func (c *Calendar) NextWorkingStart(t time.Time) time.Time {
	if c.IsWorkingTime(t) {
		return t
	}
	if c.IsWorkingDay(t) && c.clock(t) < c.start {
		return c.at(t, c.start)
	}
	d := c.nextDay(t)
	for !c.IsWorkingDay(d) {
		d = c.nextDay(d)
	}
	return c.at(d, c.start)
}

// AddWorkingDays is the same clock time n working days after t (t first
// moved to the next working instant).
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	t = c.NextWorkingStart(t)
	k := c.clock(t)
	d := t
	for i := 0; i < n; i++ {
		d = c.nextDay(d)
		for !c.IsWorkingDay(d) {
			d = c.nextDay(d)
		}
	}
	return c.at(d, k)
}

// AddWorkingHours advances d of working time from t (t first moved to the
// next working instant), spilling across days.
func (c *Calendar) AddWorkingHours(t time.Time, d time.Duration) time.Time {
	t = c.NextWorkingStart(t)
	for {
		left := c.at(t, c.end).Sub(t)
		if d <= left {
			return t.Add(d)
		}
		d -= left
		t = c.NextWorkingStart(c.at(t, c.end))
	}
}

// SubWorkingHours goes back d of working time from t: "remind two working
// hours before the deadline". A t outside working time counts from the end
// of the last working period before it.
func (c *Calendar) SubWorkingHours(t time.Time, d time.Duration) time.Time {
	t = c.prevWorkingEnd(t)
	for {
		avail := t.Sub(c.at(t, c.start))
		if d <= avail {
			return t.Add(-d)
		}
		d -= avail
		t = c.prevWorkingEnd(c.at(t, c.start).Add(-time.Nanosecond))
	}
}

// prevWorkingEnd is t when t is working time or the end of a working day,
// else the end of the last working period before t.
func (c *Calendar) prevWorkingEnd(t time.Time) time.Time {
	if c.IsWorkingDay(t) {
		k := c.clock(t)
		if k >= c.start && k <= c.end {
			return t
		}
		if k > c.end {
			return c.at(t, c.end)
		}
	}
	d := t.In(c.loc)
	for {
		d = time.Date(d.Year(), d.Month(), d.Day()-1, 12, 0, 0, 0, c.loc)
		if c.IsWorkingDay(d) {
			return c.at(d, c.end)
		}
	}
}

// WorkingHoursBetween is the working time in [a, b).
func (c *Calendar) WorkingHoursBetween(a, b time.Time) time.Duration {
	var total time.Duration
	for t := c.NextWorkingStart(a); t.Before(b); t = c.NextWorkingStart(c.at(t, c.end)) {
		end := c.at(t, c.end)
		if b.Before(end) {
			end = b
		}
		total += end.Sub(t)
	}
	return total
}

// WorkingDaysBetween is WorkingHoursBetween in working days.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) float64 {
	return float64(c.WorkingHoursBetween(a, b)) / float64(c.DayLength())
}

// NextWorkingDayAt is the first instant strictly after t that is on a
// working day at the given clock time (the daily digest, daily prompts).
func (c *Calendar) NextWorkingDayAt(t time.Time, clock time.Duration) time.Time {
	d := t.In(c.loc)
	if c.IsWorkingDay(d) {
		if x := c.at(d, clock); x.After(t) {
			return x
		}
	}
	for {
		d = c.nextDay(d)
		if c.IsWorkingDay(d) {
			return c.at(d, clock)
		}
	}
}
