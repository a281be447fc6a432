// Package calendar is Escalate's working-day clock: when a window of N
// working days (or hours) that opens at a given time closes, skipping
// weekends, the bank holidays of the configured UK nation and the
// partnership's closure days.
//
// Bank holiday rules come from github.com/rickar/cal/v2. Its gb package
// only describes England and Wales, so Scotland's and Northern Ireland's
// extra days are built here from the library's own holiday types, as rules
// rather than lists of dates. One-off bank holidays the library does not
// know (the State Funeral of 19 September 2022, or any future one) come from
// configuration as closures.
package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // Europe/London must resolve on hosts without zoneinfo

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

// Date is a civil date with no time zone: closure days are whole days
// wherever the partnership is.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "2026-12-24".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date as YYYY-MM-DD", s)
	}
	return dateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func dateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// noon in UTC keeps day arithmetic clear of DST and of the library's
// DefaultLoc.
func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

func (d Date) addDays(n int) Date { return dateOf(d.noon().AddDate(0, 0, n)) }

func (d Date) valid() bool { return d.Year > 0 && dateOf(d.noon()) == d }

func compareDates(a, b Date) int {
	return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Month, b.Month), cmp.Compare(a.Day, b.Day))
}

// Config describes a partnership's working time.
type Config struct {
	Region   Region         // "" means England and Wales
	Location *time.Location // nil means Europe/London
	// DayStart and DayEnd are wall-clock offsets from midnight; both zero
	// means 09:00–17:00.
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

// closureName is what a configured closure is called when it is not also
// a bank holiday; configuration gives dates only.
const closureName = "Closure day"

// Calendar answers working-time questions. It is safe for concurrent use.
type Calendar struct {
	loc        *time.Location
	start, end time.Duration
	rules      []*cal.Holiday
	closures   map[Date]bool

	mu    sync.Mutex
	years map[int]map[Date]string // holidays by year, computed on first use
}

// Substitute-day rules. They are functions, not package variables, so no
// caller can alter them for everyone.

// toMonday moves a lone holiday that falls at the weekend to the Monday.
func toMonday() []cal.AltDay {
	return []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 1}}
}

// christmasPair is for Christmas and Boxing Day: either one at the weekend
// moves two days on, so the pair always ends up on two working days. The
// library gets the dates right but, when Christmas is a Sunday, calls
// Monday 26th "Christmas Day" and Tuesday 27th "Boxing Day"; gov.uk has
// Boxing Day on the 26th and the Christmas substitute on the 27th, which
// this rule gives.
func christmasPair() []cal.AltDay {
	return []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 2}}
}

// afterNewYear is for Scotland's 2 January. Unlike Christmas, gov.uk gives
// New Year's Day the first free Monday and moves 2 January past it, even
// when 2 January is itself that Monday.
func afterNewYear() []cal.AltDay {
	return []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 2}, {Day: time.Monday, Offset: 1}}
}

func fixedDay(name string, m time.Month, day int, observed []cal.AltDay) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservanceBank, Month: m, Day: day, Func: cal.CalcDayOfMonth, Observed: observed}
}

// rulesFor builds a fresh rule list per calendar. The gb one-offs (VE Day
// 2020, the 2022 moved Spring holiday and Platinum Jubilee, the 2023
// Coronation) stay in: gb.EarlyMay and gb.SpringHoliday skip 2020 and 2022
// on the understanding that they do, and all of them were UK-wide.
func rulesFor(r Region) ([]*cal.Holiday, error) {
	christmas := gb.ChristmasDay.Clone(&cal.Holiday{Observed: christmasPair()})
	boxing := gb.BoxingDay.Clone(&cal.Holiday{Observed: christmasPair()})
	shared := []*cal.Holiday{
		gb.NewYear, gb.GoodFriday, gb.EarlyMay, gb.VEDay, gb.CoronationDay,
		gb.SpringHoliday, gb.SpringHoliday2022, gb.PlatinumJubilee,
		christmas, boxing,
	}
	switch r {
	case EnglandAndWales, "":
		return append(shared, gb.EasterMonday, gb.SummerHoliday), nil
	case Scotland:
		// No Easter Monday, and the summer holiday is the first Monday of
		// August rather than the last.
		return append(shared,
			gb.SummerHolidayScotland,
			fixedDay("2nd January", time.January, 2, afterNewYear()),
			fixedDay("St Andrew's Day", time.November, 30, toMonday()),
		), nil
	case NorthernIreland:
		return append(shared,
			gb.EasterMonday, gb.SummerHoliday,
			fixedDay("St Patrick's Day", time.March, 17, toMonday()),
			fixedDay("Battle of the Boyne (Orangemen's Day)", time.July, 12, toMonday()),
		), nil
	}
	return nil, fmt.Errorf("region: must be %s, %s or %s, not %q", EnglandAndWales, Scotland, NorthernIreland, r)
}

// New builds a calendar; its errors start with the name of the field at
// fault so configuration can point at it.
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
		return nil, fmt.Errorf("working_hours: the day must start before it ends, within 00:00–24:00 (got %v–%v)", start, end)
	}
	closures := make(map[Date]bool, len(cfg.Closures))
	for _, d := range cfg.Closures {
		if !d.valid() {
			return nil, fmt.Errorf("closures: %s is not a calendar date", d)
		}
		closures[d] = true
	}
	return &Calendar{loc: loc, start: start, end: end, rules: rules, closures: closures, years: map[int]map[Date]string{}}, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

func (c *Calendar) holidays(year int) map[Date]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.years[year]; ok {
		return h
	}
	h := map[Date]string{}
	// Substitutes only ever move forwards, so the previous year's rules are
	// consulted in case one lands in early January.
	for _, y := range []int{year - 1, year} {
		for _, r := range c.rules {
			actual, observed := r.Calc(y)
			if observed.IsZero() || observed.Year() != year {
				continue
			}
			name := r.Name
			if dateOf(observed) != dateOf(actual) {
				name += " (substitute day)"
			}
			h[dateOf(observed)] = name
		}
	}
	for d := range c.closures {
		if _, ok := h[d]; !ok && d.Year == year {
			h[d] = closureName
		}
	}
	c.years[year] = h
	return h
}

// IsHoliday reports whether t's day, in the calendar's zone, is a bank
// holiday or closure day.
func (c *Calendar) IsHoliday(t time.Time) (Holiday, bool) {
	d := c.dateIn(t)
	name, ok := c.holidays(d.Year)[d]
	return Holiday{Date: d, Name: name}, ok
}

// Holidays lists a year's bank holidays (as observed, so a Saturday Boxing
// Day appears as its Monday substitute) and closure days, in date order.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for d, n := range c.holidays(year) {
		out = append(out, Holiday{Date: d, Name: n})
	}
	slices.SortFunc(out, func(a, b Holiday) int { return compareDates(a.Date, b.Date) })
	return out
}

func (c *Calendar) dateIn(t time.Time) Date { return dateOf(t.In(c.loc)) }

func (c *Calendar) workingDate(d Date) bool {
	if wd := d.noon().Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, hol := c.holidays(d.Year)[d]
	return !hol
}

func (c *Calendar) nextWorkingDate(d Date) Date {
	for d = d.addDays(1); !c.workingDate(d); d = d.addDays(1) {
	}
	return d
}

func (c *Calendar) prevWorkingDate(d Date) Date {
	for d = d.addDays(-1); !c.workingDate(d); d = d.addDays(-1) {
	}
	return d
}

// at is the instant the wall clock on day d reads off. Building it from
// the civil date, not by adding off to midnight, keeps 09:00 at 09:00 on
// the days the clocks change. An off of 24h is the next midnight.
func (c *Calendar) at(d Date, off time.Duration) time.Time {
	return time.Date(d.Year, d.Month, d.Day,
		int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), int(off%time.Second), c.loc)
}

// clock is t's wall-clock offset from midnight in the calendar's zone.
func (c *Calendar) clock(t time.Time) time.Duration {
	h, m, s := t.In(c.loc).Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

// IsWorkingDay reports whether t's day, in the calendar's zone, is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool { return c.workingDate(c.dateIn(t)) }

// IsWorkingTime reports whether t is inside working hours on a working day.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	k := c.clock(t)
	return k >= c.start && k < c.end && c.IsWorkingDay(t)
}

// NextWorkingStart is t itself when it is working time, else the start of
// the next working period: a case raised out of hours opens then.
func (c *Calendar) NextWorkingStart(t time.Time) time.Time {
	_, t = c.nextWorking(t)
	return t
}

// nextWorking is NextWorkingStart with the working day it falls on, which
// callers need because with a 24:00 day end the instant alone is ambiguous.
func (c *Calendar) nextWorking(t time.Time) (Date, time.Time) {
	d, k := c.dateIn(t), c.clock(t)
	if c.workingDate(d) {
		if k < c.start {
			return d, c.at(d, c.start)
		}
		if k < c.end {
			return d, t
		}
	}
	d = c.nextWorkingDate(d)
	return d, c.at(d, c.start)
}

// AddWorkingDays is the same wall-clock time n working days after t, once t
// is moved to the next working instant. A negative n counts back.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	d, t := c.nextWorking(t)
	k := c.clock(t)
	for ; n > 0; n-- {
		d = c.nextWorkingDate(d)
	}
	for ; n < 0; n++ {
		d = c.prevWorkingDate(d)
	}
	return c.at(d, k)
}

// AddWorkingHours advances dur of working time from t, once t is moved to
// the next working instant, spilling across days. Landing exactly on the
// end of a day gives that day's end, not the next morning: the same
// working instant, but the one a reader expects for "by 17:00".
func (c *Calendar) AddWorkingHours(t time.Time, dur time.Duration) time.Time {
	if dur < 0 {
		return c.SubWorkingHours(t, -dur)
	}
	d, t := c.nextWorking(t)
	for {
		end := c.at(d, c.end)
		if left := end.Sub(t); dur <= left {
			return t.Add(dur)
		}
		dur -= end.Sub(t)
		d = c.nextWorkingDate(d)
		t = c.at(d, c.start)
	}
}

// SubWorkingHours goes back dur of working time from t, for "remind two
// working hours before the deadline". A t outside working time counts from
// the end of the last working period before it.
func (c *Calendar) SubWorkingHours(t time.Time, dur time.Duration) time.Time {
	if dur < 0 {
		return c.AddWorkingHours(t, -dur)
	}
	d, t := c.lastWorking(t)
	for {
		begin := c.at(d, c.start)
		if avail := t.Sub(begin); dur <= avail {
			return t.Add(-dur)
		}
		dur -= t.Sub(begin)
		d = c.prevWorkingDate(d)
		t = c.at(d, c.end)
	}
}

// lastWorking is t when t is working time or exactly a day's end, else the
// end of the last working period before t; with the day it belongs to.
func (c *Calendar) lastWorking(t time.Time) (Date, time.Time) {
	d, k := c.dateIn(t), c.clock(t)
	if c.workingDate(d) {
		if k > c.end {
			return d, c.at(d, c.end)
		}
		if k >= c.start {
			return d, t
		}
	}
	d = c.prevWorkingDate(d)
	return d, c.at(d, c.end)
}

// WorkingHoursBetween is the working time in [a, b), in real elapsed time.
func (c *Calendar) WorkingHoursBetween(a, b time.Time) time.Duration {
	var total time.Duration
	for d, last := c.dateIn(a), c.dateIn(b); compareDates(d, last) <= 0; d = d.addDays(1) {
		if !c.workingDate(d) {
			continue
		}
		from, to := c.at(d, c.start), c.at(d, c.end)
		if a.After(from) {
			from = a
		}
		if b.Before(to) {
			to = b
		}
		if to.After(from) {
			total += to.Sub(from)
		}
	}
	return total
}

// WorkingDaysBetween is WorkingHoursBetween in working days of the
// configured length.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) float64 {
	return float64(c.WorkingHoursBetween(a, b)) / float64(c.end-c.start)
}

// NextWorkingDayAt is the first instant strictly after t that is on a
// working day at the given wall-clock time (the daily digest, daily
// prompts).
func (c *Calendar) NextWorkingDayAt(t time.Time, clock time.Duration) time.Time {
	d := c.dateIn(t)
	if c.workingDate(d) {
		if x := c.at(d, clock); x.After(t) {
			return x
		}
	}
	return c.at(c.nextWorkingDate(d), clock)
}
