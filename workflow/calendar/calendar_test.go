package calendar

import (
	"strings"
	"testing"
	"time"
)

func mustNew(t *testing.T, cfg Config) *Calendar {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func london(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func dates(hs []Holiday) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.Date.String())
	}
	return strings.Join(s, " ")
}

// The published England and Wales bank holidays.
func TestEnglandAndWalesBankHolidays(t *testing.T) {
	c := mustNew(t, Config{})
	want := map[int]string{
		2025: "2025-01-01 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-08-25 2025-12-25 2025-12-26",
		2026: "2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28",
		2027: "2027-01-01 2027-03-26 2027-03-29 2027-05-03 2027-05-31 2027-08-30 2027-12-27 2027-12-28",
	}
	for year, w := range want {
		if got := dates(c.Holidays(year)); got != w {
			t.Errorf("%d: got %s\nwant %s", year, got, w)
		}
		for _, d := range strings.Fields(w) {
			if c.IsWorkingDay(london(t, d+" 12:00")) {
				t.Errorf("%s should not be a working day", d)
			}
		}
	}
	// Boxing Day 2026 is a Saturday: not itself a holiday beyond being a weekend.
	if _, ok := c.IsHoliday(london(t, "2026-12-26 12:00")); ok {
		t.Error("26 Dec 2026 (Saturday) should not be listed; its substitute is 28 Dec")
	}
}

func TestScotland(t *testing.T) {
	c := mustNew(t, Config{Region: Scotland})
	cases := []struct {
		day     string
		working bool
	}{
		{"2026-01-02", false}, // 2 January
		{"2026-04-06", true},  // Easter Monday is not a bank holiday in Scotland
		{"2026-04-03", false}, // Good Friday is
		{"2026-08-03", false}, // first Monday of August
		{"2026-08-31", true},  // not the last
		{"2026-11-30", false}, // St Andrew's Day, a Monday
		{"2025-12-01", false}, // St Andrew's Day 2025 is a Sunday: substitute Monday
		{"2027-01-04", false}, // 1 Jan 2027 Fri, 2 Jan Sat → Monday 4 Jan
	}
	for _, tc := range cases {
		if got := c.IsWorkingDay(london(t, tc.day+" 12:00")); got != tc.working {
			t.Errorf("%s: working=%v, want %v", tc.day, got, tc.working)
		}
	}
}

func TestNorthernIreland(t *testing.T) {
	c := mustNew(t, Config{Region: NorthernIreland})
	for _, tc := range []struct {
		day     string
		working bool
	}{
		{"2026-03-17", false}, // St Patrick's Day (Tuesday)
		{"2026-07-13", false}, // 12 July 2026 is a Sunday → Monday 13
		{"2026-04-06", false}, // Easter Monday applies in NI
		{"2026-07-14", true},
	} {
		if got := c.IsWorkingDay(london(t, tc.day+" 12:00")); got != tc.working {
			t.Errorf("%s: working=%v, want %v", tc.day, got, tc.working)
		}
	}
	if ew := mustNew(t, Config{}); !ew.IsWorkingDay(london(t, "2026-03-17 12:00")) {
		t.Error("St Patrick's Day is a working day in England and Wales")
	}
}

func TestWindows(t *testing.T) {
	c := mustNew(t, Config{})
	cases := []struct {
		name, from string
		days       int
		want       string
	}{
		{"across Christmas", "2026-12-24 10:00", 1, "2026-12-29 10:00"},
		{"late on Christmas Eve", "2026-12-24 16:30", 1, "2026-12-29 16:30"},
		{"raised on a Saturday opens Monday", "2026-11-21 11:00", 1, "2026-11-24 09:00"},
		{"raised on Friday evening", "2026-11-20 18:00", 1, "2026-11-24 09:00"},
		{"raised before work", "2026-11-23 07:00", 1, "2026-11-24 09:00"},
		{"five working days over Easter", "2026-04-01 14:00", 5, "2026-04-10 14:00"},
		{"across the clocks going forward", "2026-03-27 10:00", 1, "2026-03-30 10:00"},
	}
	for _, tc := range cases {
		if got := c.AddWorkingDays(london(t, tc.from), tc.days); !got.Equal(london(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, got.In(c.Location()), tc.want)
		}
	}
	// The DST case keeps the wall clock: 10:00 GMT then 10:00 BST.
	got := c.AddWorkingDays(london(t, "2026-03-27 10:00"), 1)
	if _, off := got.Zone(); off != 3600 {
		t.Errorf("30 March 2026 is in BST, offset %d", off)
	}
}

func TestClosureDays(t *testing.T) {
	d, err := ParseDate("2026-12-29")
	if err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, Config{Closures: []Date{d}})
	if got := c.AddWorkingDays(london(t, "2026-12-24 10:00"), 1); !got.Equal(london(t, "2026-12-30 10:00")) {
		t.Errorf("closure not skipped: %s", got)
	}
	if h, ok := c.IsHoliday(london(t, "2026-12-29 10:00")); !ok || h.Name != "Closure day" {
		t.Errorf("closure not listed: %+v %v", h, ok)
	}
}

func TestWorkingHours(t *testing.T) {
	c := mustNew(t, Config{})
	cases := []struct {
		name, from string
		d          time.Duration
		sub        bool
		want       string
	}{
		{"reminder two hours before a deadline", "2026-12-29 16:30", 2 * time.Hour, true, "2026-12-29 14:30"},
		{"reminder before a morning deadline goes back to the last working day", "2026-11-23 10:00", 2 * time.Hour, true, "2026-11-20 16:00"},
		{"back across Christmas", "2026-12-29 10:00", 3 * time.Hour, true, "2026-12-24 15:00"},
		{"four hours from Friday 15:00", "2026-11-20 15:00", 4 * time.Hour, false, "2026-11-23 11:00"},
		{"across Boxing Day substitute", "2026-12-24 16:00", 2 * time.Hour, false, "2026-12-29 10:00"},
		{"from night", "2026-11-23 20:00", time.Hour, false, "2026-11-24 10:00"},
	}
	for _, tc := range cases {
		var got time.Time
		if tc.sub {
			got = c.SubWorkingHours(london(t, tc.from), tc.d)
		} else {
			got = c.AddWorkingHours(london(t, tc.from), tc.d)
		}
		if !got.Equal(london(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, got.In(c.Location()), tc.want)
		}
	}
	if got := c.WorkingHoursBetween(london(t, "2026-12-24 16:00"), london(t, "2026-12-29 10:00")); got != 2*time.Hour {
		t.Errorf("working hours across Christmas: %s", got)
	}
	if got := c.WorkingDaysBetween(london(t, "2026-11-23 09:00"), london(t, "2026-11-30 09:00")); got != 5 {
		t.Errorf("a week is 5 working days, got %v", got)
	}
}

func TestNextWorkingStartAndDailyTimes(t *testing.T) {
	c := mustNew(t, Config{})
	if got := c.NextWorkingStart(london(t, "2026-11-23 11:00")); !got.Equal(london(t, "2026-11-23 11:00")) {
		t.Errorf("working time stays: %s", got)
	}
	if got := c.NextWorkingStart(london(t, "2026-11-23 17:00")); !got.Equal(london(t, "2026-11-24 09:00")) {
		t.Errorf("17:00 is after hours: %s", got)
	}
	if c.IsWorkingTime(london(t, "2026-11-23 08:59")) || !c.IsWorkingTime(london(t, "2026-11-23 09:00")) {
		t.Error("working time boundaries")
	}
	// The digest after Christmas Eve's comes on the 29th.
	if got := c.NextWorkingDayAt(london(t, "2026-12-24 09:00"), 9*time.Hour); !got.Equal(london(t, "2026-12-29 09:00")) {
		t.Errorf("next digest: %s", got)
	}
	if got := c.NextWorkingDayAt(london(t, "2026-11-23 08:00"), 9*time.Hour); !got.Equal(london(t, "2026-11-23 09:00")) {
		t.Errorf("same-day digest: %s", got)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	if _, err := New(Config{Region: "wales-only"}); err == nil || !strings.HasPrefix(err.Error(), "region:") {
		t.Errorf("bad region: %v", err)
	}
	if _, err := New(Config{DayStart: 17 * time.Hour, DayEnd: 9 * time.Hour}); err == nil || !strings.HasPrefix(err.Error(), "working_hours:") {
		t.Errorf("bad hours: %v", err)
	}
	if _, err := ParseDate("24/12/2026"); err == nil {
		t.Error("a non-ISO date should fail")
	}
}

func TestCustomWorkingHours(t *testing.T) {
	c := mustNew(t, Config{DayStart: 8*time.Hour + 30*time.Minute, DayEnd: 16*time.Hour + 30*time.Minute})
	if got := c.NextWorkingStart(london(t, "2026-11-21 12:00")); !got.Equal(london(t, "2026-11-23 08:30")) {
		t.Errorf("custom start: %s", got)
	}
}
