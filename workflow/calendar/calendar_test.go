package calendar

import (
	"strings"
	"sync"
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

var londonLoc = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// london reads "2026-12-24 10:00" as London wall-clock time.
func london(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, londonLoc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func dates(hs []Holiday) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.Date.String())
	}
	return strings.Join(s, " ")
}

// Published bank holidays (gov.uk) for each nation, as observed.
func TestHolidays(t *testing.T) {
	cases := []struct {
		region    Region
		year      int
		closures  []string
		want      string
		notListed []string // real dates that are replaced by substitutes
	}{
		{EnglandAndWales, 2025, nil, "2025-01-01 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-08-25 2025-12-25 2025-12-26", nil},
		{EnglandAndWales, 2026, nil, "2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28", []string{"2026-12-26"}},
		{EnglandAndWales, 2027, nil, "2027-01-01 2027-03-26 2027-03-29 2027-05-03 2027-05-31 2027-08-30 2027-12-27 2027-12-28", []string{"2027-12-25", "2027-12-26"}},
		{"", 2026, nil, "2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28", nil},
		// Library one-offs kept (moved Spring holiday, Platinum Jubilee);
		// the State Funeral comes from configuration.
		{EnglandAndWales, 2022, []string{"2022-09-19"}, "2022-01-03 2022-04-15 2022-04-18 2022-05-02 2022-06-02 2022-06-03 2022-08-29 2022-09-19 2022-12-26 2022-12-27", []string{"2022-05-30"}},
		{EnglandAndWales, 2020, nil, "2020-01-01 2020-04-10 2020-04-13 2020-05-08 2020-05-25 2020-08-31 2020-12-25 2020-12-28", []string{"2020-05-04"}},
		{EnglandAndWales, 2023, nil, "2023-01-02 2023-04-07 2023-04-10 2023-05-01 2023-05-08 2023-05-29 2023-08-28 2023-12-25 2023-12-26", nil},
		{Scotland, 2025, nil, "2025-01-01 2025-01-02 2025-04-18 2025-05-05 2025-05-26 2025-08-04 2025-12-01 2025-12-25 2025-12-26", []string{"2025-11-30"}},
		{Scotland, 2026, nil, "2026-01-01 2026-01-02 2026-04-03 2026-05-04 2026-05-25 2026-08-03 2026-11-30 2026-12-25 2026-12-28", nil},
		{Scotland, 2027, nil, "2027-01-01 2027-01-04 2027-03-26 2027-05-03 2027-05-31 2027-08-02 2027-11-30 2027-12-27 2027-12-28", []string{"2027-01-02"}},
		{Scotland, 2022, nil, "2022-01-03 2022-01-04 2022-04-15 2022-05-02 2022-06-02 2022-06-03 2022-08-01 2022-11-30 2022-12-26 2022-12-27", nil},
		{NorthernIreland, 2025, nil, "2025-01-01 2025-03-17 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-07-14 2025-08-25 2025-12-25 2025-12-26", []string{"2025-07-12"}},
		{NorthernIreland, 2026, nil, "2026-01-01 2026-03-17 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-07-13 2026-08-31 2026-12-25 2026-12-28", []string{"2026-07-12"}},
		{NorthernIreland, 2024, nil, "2024-01-01 2024-03-18 2024-03-29 2024-04-01 2024-05-06 2024-05-27 2024-07-12 2024-08-26 2024-12-25 2024-12-26", []string{"2024-03-17"}},
	}
	for _, tc := range cases {
		var closures []Date
		for _, s := range tc.closures {
			closures = append(closures, mustDate(t, s))
		}
		c := mustNew(t, Config{Region: tc.region, Closures: closures})
		if got := dates(c.Holidays(tc.year)); got != tc.want {
			t.Errorf("%s %d:\n got %s\nwant %s", tc.region, tc.year, got, tc.want)
		}
		for _, d := range strings.Fields(tc.want) {
			at := london(t, d+" 12:00")
			if c.IsWorkingDay(at) || c.IsWorkingTime(at) {
				t.Errorf("%s %s should not be a working day", tc.region, d)
			}
			if h, ok := c.IsHoliday(at); !ok || h.Date.String() != d || h.Name == "" {
				t.Errorf("%s IsHoliday(%s) = %+v, %v", tc.region, d, h, ok)
			}
		}
		for _, d := range tc.notListed {
			if h, ok := c.IsHoliday(london(t, d+" 12:00")); ok {
				t.Errorf("%s %s should not be a holiday itself, got %+v", tc.region, d, h)
			}
		}
	}
}

func TestHolidayNames(t *testing.T) {
	cases := []struct {
		region Region
		day    string
		want   string
	}{
		{EnglandAndWales, "2026-12-28", "Boxing Day (substitute day)"},
		{EnglandAndWales, "2027-12-27", "Christmas Day (substitute day)"},
		// Christmas on a Sunday: gov.uk keeps Boxing Day on the 26th.
		{EnglandAndWales, "2022-12-26", "Boxing Day"},
		{EnglandAndWales, "2022-12-27", "Christmas Day (substitute day)"},
		{EnglandAndWales, "2023-05-08", "Coronation of King Charles III"},
		{Scotland, "2023-01-02", "New Year's Day (substitute day)"},
		{Scotland, "2023-01-03", "2nd January (substitute day)"},
		{Scotland, "2025-12-01", "St Andrew's Day (substitute day)"},
		{Scotland, "2026-11-30", "St Andrew's Day"},
		{NorthernIreland, "2026-03-17", "St Patrick's Day"},
		{NorthernIreland, "2026-07-13", "Battle of the Boyne (Orangemen's Day) (substitute day)"},
	}
	for _, tc := range cases {
		c := mustNew(t, Config{Region: tc.region})
		if h, ok := c.IsHoliday(london(t, tc.day+" 12:00")); !ok || h.Name != tc.want {
			t.Errorf("%s %s: got %q, %v; want %q", tc.region, tc.day, h.Name, ok, tc.want)
		}
	}
}

func TestRegionalWorkingDays(t *testing.T) {
	cases := []struct {
		region  Region
		day     string
		working bool
	}{
		{Scotland, "2026-01-02", false},       // 2 January
		{Scotland, "2026-04-06", true},        // no Easter Monday in Scotland
		{Scotland, "2026-04-03", false},       // Good Friday
		{Scotland, "2026-08-03", false},       // first Monday of August
		{Scotland, "2026-08-31", true},        // not the last
		{Scotland, "2026-11-30", false},       // St Andrew's Day, a Monday
		{Scotland, "2025-12-01", false},       // St Andrew's Day 2025 is a Sunday
		{Scotland, "2027-01-04", false},       // 2 Jan 2027 is a Saturday
		{EnglandAndWales, "2026-01-02", true}, // Scotland only
		{EnglandAndWales, "2026-11-30", true},
		{EnglandAndWales, "2026-08-03", true},
		{EnglandAndWales, "2026-03-17", true}, // Northern Ireland only
		{NorthernIreland, "2026-03-17", false},
		{NorthernIreland, "2026-07-13", false}, // 12 July 2026 is a Sunday
		{NorthernIreland, "2026-07-14", true},
		{NorthernIreland, "2026-04-06", false}, // Easter Monday applies
		{NorthernIreland, "2026-08-31", false}, // and the late summer holiday
		{NorthernIreland, "2026-01-02", true},
		{EnglandAndWales, "2026-11-21", false}, // Saturday
		{EnglandAndWales, "2026-11-22", false}, // Sunday
		{EnglandAndWales, "2026-11-23", true},
	}
	for _, tc := range cases {
		c := mustNew(t, Config{Region: tc.region})
		if got := c.IsWorkingDay(london(t, tc.day+" 12:00")); got != tc.working {
			t.Errorf("%s %s: working=%v, want %v", tc.region, tc.day, got, tc.working)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	cases := []struct {
		name, from string
		days       int
		want       string
		wantOffset int // seconds east of UTC at the result; 0 skips the check
	}{
		{"across Christmas", "2026-12-24 10:00", 1, "2026-12-29 10:00", 0},
		{"late on Christmas Eve", "2026-12-24 16:30", 1, "2026-12-29 16:30", 0},
		{"raised on a Saturday opens Monday", "2026-11-21 11:00", 1, "2026-11-24 09:00", 0},
		{"raised on Friday evening", "2026-11-20 18:00", 1, "2026-11-24 09:00", 0},
		{"raised before work", "2026-11-23 07:00", 1, "2026-11-24 09:00", 0},
		{"raised at close of play", "2026-11-23 17:00", 1, "2026-11-25 09:00", 0},
		{"zero days only normalises", "2026-11-20 18:00", 0, "2026-11-23 09:00", 0},
		{"five working days over Easter", "2026-04-01 14:00", 5, "2026-04-10 14:00", 0},
		{"ten working days", "2026-11-02 11:15", 10, "2026-11-16 11:15", 0},
		{"clocks go forward", "2026-03-27 10:00", 1, "2026-03-30 10:00", 3600},
		{"clocks go back", "2026-10-23 10:00", 1, "2026-10-26 10:00", 0},
		{"back over a weekend", "2026-11-23 10:00", -1, "2026-11-20 10:00", 0},
	}
	c := mustNew(t, Config{})
	for _, tc := range cases {
		got := c.AddWorkingDays(london(t, tc.from), tc.days)
		if !got.Equal(london(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, got.In(londonLoc), tc.want)
		}
		if got.Location() != c.Location() {
			t.Errorf("%s: result in %s, want the calendar's zone", tc.name, got.Location())
		}
		if _, off := got.Zone(); tc.wantOffset != 0 && off != tc.wantOffset {
			t.Errorf("%s: UTC offset %d, want %d", tc.name, off, tc.wantOffset)
		}
	}
	// The DST case really is 71 hours, not 72: wall clock, not elapsed time.
	from := london(t, "2026-03-27 10:00")
	if got := c.AddWorkingDays(from, 1).Sub(from); got != 71*time.Hour {
		t.Errorf("elapsed across spring-forward: %s", got)
	}
}

func TestClosures(t *testing.T) {
	c := mustNew(t, Config{Closures: []Date{mustDate(t, "2026-12-29"), mustDate(t, "2026-12-25")}})
	cases := []struct {
		name string
		got  time.Time
		want string
	}{
		{"window skips the closure", c.AddWorkingDays(london(t, "2026-12-24 10:00"), 1), "2026-12-30 10:00"},
		{"hours skip the closure", c.AddWorkingHours(london(t, "2026-12-24 16:00"), 2*time.Hour), "2026-12-30 10:00"},
		{"reminder skips the closure", c.SubWorkingHours(london(t, "2026-12-30 10:00"), 2*time.Hour), "2026-12-24 16:00"},
		{"raised on the closure", c.NextWorkingStart(london(t, "2026-12-29 11:00")), "2026-12-30 09:00"},
	}
	for _, tc := range cases {
		if !tc.got.Equal(london(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got.In(londonLoc), tc.want)
		}
	}
	if h, ok := c.IsHoliday(london(t, "2026-12-29 10:00")); !ok || h.Name != closureName {
		t.Errorf("closure: %+v %v", h, ok)
	}
	// A closure on a bank holiday keeps the bank holiday's name and is listed once.
	want := []Holiday{
		{Date{2026, time.December, 25}, "Christmas Day"},
		{Date{2026, time.December, 28}, "Boxing Day (substitute day)"},
		{Date{2026, time.December, 29}, closureName},
	}
	got := c.Holidays(2026)
	if len(got) != 9 {
		t.Fatalf("2026 lists %d days: %v", len(got), got)
	}
	for i, w := range want {
		if got[6+i] != w {
			t.Errorf("Holidays(2026)[%d] = %+v, want %+v", 6+i, got[6+i], w)
		}
	}
}

func TestNextWorkingStart(t *testing.T) {
	cases := []struct{ from, want string }{
		{"2026-11-23 11:00", "2026-11-23 11:00"}, // working time stays
		{"2026-11-23 09:00", "2026-11-23 09:00"},
		{"2026-11-23 08:59", "2026-11-23 09:00"},
		{"2026-11-23 17:00", "2026-11-24 09:00"}, // the day ends at 17:00
		{"2026-11-20 18:00", "2026-11-23 09:00"}, // Friday evening → Monday
		{"2026-11-22 03:00", "2026-11-23 09:00"},
		{"2026-12-24 17:30", "2026-12-29 09:00"},
		{"2026-04-02 18:00", "2026-04-07 09:00"}, // Easter
	}
	c := mustNew(t, Config{})
	for _, tc := range cases {
		if got := c.NextWorkingStart(london(t, tc.from)); !got.Equal(london(t, tc.want)) {
			t.Errorf("NextWorkingStart(%s) = %s, want %s", tc.from, got.In(londonLoc), tc.want)
		}
	}
}

func TestIsWorkingTime(t *testing.T) {
	cases := []struct {
		at   string
		want bool
	}{
		{"2026-11-23 08:59", false},
		{"2026-11-23 09:00", true},
		{"2026-11-23 16:59", true},
		{"2026-11-23 17:00", false},
		{"2026-11-21 12:00", false}, // Saturday
		{"2026-12-25 12:00", false},
	}
	c := mustNew(t, Config{})
	for _, tc := range cases {
		if got := c.IsWorkingTime(london(t, tc.at)); got != tc.want {
			t.Errorf("IsWorkingTime(%s) = %v", tc.at, got)
		}
	}
	// The clock is read in the calendar's zone: 08:30 UTC is 09:30 BST.
	if !c.IsWorkingTime(time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC)) {
		t.Error("08:30 UTC on a June Monday is working time in London")
	}
}

func TestWorkingHours(t *testing.T) {
	cases := []struct {
		name, from string
		d          time.Duration
		sub        bool
		want       string
	}{
		{"reminder two hours before a Christmas deadline", "2026-12-29 16:30", 2 * time.Hour, true, "2026-12-29 14:30"},
		{"reminder before a Monday morning deadline", "2026-11-23 10:00", 2 * time.Hour, true, "2026-11-20 16:00"},
		{"reminder from nine goes to the day before", "2026-11-24 09:00", 2 * time.Hour, true, "2026-11-23 15:00"},
		{"reminder from a day-end deadline", "2026-11-23 17:00", 2 * time.Hour, true, "2026-11-23 15:00"},
		{"reminder from the evening counts from 17:00", "2026-11-23 20:00", time.Hour, true, "2026-11-23 16:00"},
		{"back across Christmas", "2026-12-29 10:00", 3 * time.Hour, true, "2026-12-24 15:00"},
		{"back a whole day", "2026-11-24 09:00", 8 * time.Hour, true, "2026-11-23 09:00"},
		{"four hours from Friday 15:00", "2026-11-20 15:00", 4 * time.Hour, false, "2026-11-23 11:00"},
		{"across Christmas and the Boxing Day substitute", "2026-12-24 16:00", 2 * time.Hour, false, "2026-12-29 10:00"},
		{"across Easter", "2026-04-02 16:00", 3 * time.Hour, false, "2026-04-07 11:00"},
		{"from night", "2026-11-23 20:00", time.Hour, false, "2026-11-24 10:00"},
		{"to exactly the end of the day", "2026-11-23 15:00", 2 * time.Hour, false, "2026-11-23 17:00"},
		{"a day and a half ends at the next close", "2026-11-23 13:00", 12 * time.Hour, false, "2026-11-24 17:00"},
		{"and a minute more spills to the morning", "2026-11-23 13:00", 12*time.Hour + time.Minute, false, "2026-11-25 09:01"},
		{"across spring-forward", "2026-03-27 16:00", 2 * time.Hour, false, "2026-03-30 10:00"},
		{"negative adds", "2026-11-20 16:00", -2 * time.Hour, true, "2026-11-23 10:00"},
	}
	c := mustNew(t, Config{})
	for _, tc := range cases {
		var got time.Time
		if tc.sub {
			got = c.SubWorkingHours(london(t, tc.from), tc.d)
		} else {
			got = c.AddWorkingHours(london(t, tc.from), tc.d)
		}
		if !got.Equal(london(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, got.In(londonLoc), tc.want)
		}
	}
}

// The design's reminder example end to end.
func TestChristmasEveReminder(t *testing.T) {
	c := mustNew(t, Config{})
	deadline := c.AddWorkingDays(london(t, "2026-12-24 16:30"), 1)
	if !deadline.Equal(london(t, "2026-12-29 16:30")) {
		t.Fatalf("deadline %s", deadline)
	}
	if got := c.SubWorkingHours(deadline, 2*time.Hour); !got.Equal(london(t, "2026-12-29 14:30")) {
		t.Errorf("reminder %s", got)
	}
}

func TestWorkingHoursBetween(t *testing.T) {
	cases := []struct {
		a, b string
		want time.Duration
		days float64
	}{
		{"2026-12-24 16:00", "2026-12-29 10:00", 2 * time.Hour, 0.25},
		{"2026-11-23 09:00", "2026-11-30 09:00", 40 * time.Hour, 5},
		{"2026-11-23 10:00", "2026-11-23 12:30", 150 * time.Minute, 2.5 / 8},
		{"2026-11-20 20:00", "2026-11-23 08:00", 0, 0},              // a weekend night
		{"2026-11-23 12:00", "2026-11-23 12:00", 0, 0},              // empty
		{"2026-11-24 12:00", "2026-11-23 12:00", 0, 0},              // reversed
		{"2026-03-27 09:00", "2026-03-31 09:00", 16 * time.Hour, 2}, // DST weekend changes nothing
		{"2026-04-01 09:00", "2026-04-08 09:00", 24 * time.Hour, 3}, // Easter week
	}
	c := mustNew(t, Config{})
	for _, tc := range cases {
		a, b := london(t, tc.a), london(t, tc.b)
		if got := c.WorkingHoursBetween(a, b); got != tc.want {
			t.Errorf("WorkingHoursBetween(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
		if got := c.WorkingDaysBetween(a, b); got != tc.days {
			t.Errorf("WorkingDaysBetween(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.days)
		}
	}
}

func TestNextWorkingDayAt(t *testing.T) {
	cases := []struct {
		from  string
		clock time.Duration
		want  string
	}{
		{"2026-12-24 09:00", 9 * time.Hour, "2026-12-29 09:00"}, // strictly after
		{"2026-11-23 08:00", 9 * time.Hour, "2026-11-23 09:00"},
		{"2026-11-20 12:00", 9 * time.Hour, "2026-11-23 09:00"},
		{"2026-11-21 12:00", 8*time.Hour + 30*time.Minute, "2026-11-23 08:30"},
		{"2026-03-27 10:00", 9 * time.Hour, "2026-03-30 09:00"},
	}
	c := mustNew(t, Config{})
	for _, tc := range cases {
		if got := c.NextWorkingDayAt(london(t, tc.from), tc.clock); !got.Equal(london(t, tc.want)) {
			t.Errorf("NextWorkingDayAt(%s, %s) = %s, want %s", tc.from, tc.clock, got.In(londonLoc), tc.want)
		}
	}
}

func TestCustomHoursAndZone(t *testing.T) {
	early := mustNew(t, Config{DayStart: 8*time.Hour + 30*time.Minute, DayEnd: 16*time.Hour + 30*time.Minute})
	allDay := mustNew(t, Config{DayStart: 0, DayEnd: 24 * time.Hour})
	utc := mustNew(t, Config{Location: time.UTC})
	cases := []struct {
		name string
		got  time.Time
		want string
	}{
		{"custom start", early.NextWorkingStart(london(t, "2026-11-21 12:00")), "2026-11-23 08:30"},
		{"custom end", early.AddWorkingHours(london(t, "2026-11-23 16:00"), time.Hour), "2026-11-24 09:00"},
		{"whole days: over a weekend", allDay.AddWorkingHours(london(t, "2026-11-20 20:00"), 6*time.Hour), "2026-11-23 02:00"},
		{"whole days: back over a weekend", allDay.SubWorkingHours(london(t, "2026-11-23 02:00"), 6*time.Hour), "2026-11-20 20:00"},
		{"whole days: from midnight", allDay.SubWorkingHours(london(t, "2026-11-24 00:00"), 25*time.Hour), "2026-11-20 23:00"},
		{"UTC zone in summer", utc.NextWorkingStart(london(t, "2026-06-01 09:30")), "2026-06-01 10:00"},
	}
	for _, tc := range cases {
		if !tc.got.Equal(london(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got.In(londonLoc), tc.want)
		}
	}
	if got := allDay.WorkingHoursBetween(london(t, "2026-11-20 20:00"), london(t, "2026-11-23 02:00")); got != 6*time.Hour {
		t.Errorf("whole days between: %s", got)
	}
	if utc.Location() != time.UTC || mustNew(t, Config{}).Location().String() != "Europe/London" {
		t.Error("locations")
	}
}

func TestNewValidation(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		prefix string // "" means valid
	}{
		{"defaults", Config{}, ""},
		{"each region", Config{Region: NorthernIreland}, ""},
		{"whole day", Config{DayStart: 0, DayEnd: 24 * time.Hour}, ""},
		{"unknown region", Config{Region: "wales-only"}, "region:"},
		{"end before start", Config{DayStart: 17 * time.Hour, DayEnd: 9 * time.Hour}, "working_hours:"},
		{"empty day", Config{DayStart: 9 * time.Hour, DayEnd: 9 * time.Hour}, "working_hours:"},
		{"only a start", Config{DayStart: 9 * time.Hour}, "working_hours:"},
		{"negative start", Config{DayStart: -time.Hour, DayEnd: 17 * time.Hour}, "working_hours:"},
		{"past midnight", Config{DayStart: 9 * time.Hour, DayEnd: 25 * time.Hour}, "working_hours:"},
		{"impossible closure", Config{Closures: []Date{{2026, time.February, 30}}}, "closures:"},
	}
	for _, tc := range cases {
		c, err := New(tc.cfg)
		switch {
		case tc.prefix == "" && (err != nil || c == nil):
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.prefix != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.prefix)):
			t.Errorf("%s: got %v, want an error starting %q", tc.name, err, tc.prefix)
		}
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-12-24", Date{2026, time.December, 24}, true},
		{"2028-02-29", Date{2028, time.February, 29}, true},
		{"2027-02-29", Date{}, false},
		{"24/12/2026", Date{}, false},
		{"2026-12-24T10:00:00Z", Date{}, false},
		{"", Date{}, false},
	}
	for _, tc := range cases {
		got, err := ParseDate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	if s := (Date{2026, time.March, 5}).String(); s != "2026-03-05" {
		t.Errorf("zero padding: %s", s)
	}
}

// The holiday cache is filled lazily; -race checks it is guarded.
func TestConcurrentUse(t *testing.T) {
	c := mustNew(t, Config{Region: Scotland})
	var wg sync.WaitGroup
	for y := 2020; y < 2036; y++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := time.Date(y, time.December, 20, 10, 0, 0, 0, londonLoc)
			c.AddWorkingDays(at, 10)
			c.Holidays(y + 1)
		}()
	}
	wg.Wait()
}
