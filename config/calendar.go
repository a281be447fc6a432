package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow/calendar"
)

// Calendar defaults: England and Wales bank holidays, 09:00–17:00 London time.
const (
	DefaultRegion   = "england-and-wales"
	DefaultTimezone = "Europe/London"
	DefaultDayStart = 9 * time.Hour
	DefaultDayEnd   = 17 * time.Hour
)

// regions maps the names a file may use to the calendar's regions.
var regions = map[string]calendar.Region{
	"england-and-wales": calendar.EnglandAndWales,
	"england":           calendar.EnglandAndWales,
	"wales":             calendar.EnglandAndWales,
	"scotland":          calendar.Scotland,
	"northern-ireland":  calendar.NorthernIreland,
}

// resolveCalendar reads the working calendar: the UK region whose bank
// holidays are not working days, the time zone, the working hours and the
// partnership's own closure days.
func resolveCalendar(cf calendarFile, probs *problems) calendar.Config {
	cfg := calendar.Config{DayStart: DefaultDayStart, DayEnd: DefaultDayEnd}
	region := strings.ToLower(strings.TrimSpace(cf.Region))
	if region == "" {
		region = DefaultRegion
	}
	if r, ok := regions[region]; ok {
		cfg.Region = r
	} else {
		probs.add("calendar.region", "unknown region %q; use england-and-wales, scotland or northern-ireland", cf.Region)
	}
	tz := strings.TrimSpace(cf.Timezone)
	if tz == "" {
		tz = DefaultTimezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		probs.add("calendar.timezone", "unknown time zone %q (e.g. Europe/London)", tz)
		loc = time.UTC
	}
	cfg.Location = loc
	var startOK, endOK = true, true
	if s := strings.TrimSpace(cf.WorkingHours.Start); s != "" {
		if cfg.DayStart, err = parseClock(s); err != nil {
			probs.add("calendar.working_hours.start", "%v", err)
			startOK = false
		}
	}
	if s := strings.TrimSpace(cf.WorkingHours.End); s != "" {
		if cfg.DayEnd, err = parseClock(s); err != nil {
			probs.add("calendar.working_hours.end", "%v", err)
			endOK = false
		}
	}
	if startOK && endOK && cfg.DayEnd <= cfg.DayStart {
		probs.add("calendar.working_hours", "must end after it starts (%s–%s)", formatClock(cfg.DayStart), formatClock(cfg.DayEnd))
	}
	seen := map[string]bool{}
	for i, s := range cf.Closures {
		path := fmt.Sprintf("calendar.closures[%d]", i)
		s = strings.TrimSpace(s)
		d, err := calendar.ParseDate(s)
		switch {
		case err != nil:
			probs.add(path, "must be a date as YYYY-MM-DD, not %q", s)
			continue
		case seen[s]:
			probs.add(path, "%s is listed twice", s)
			continue
		}
		seen[s] = true
		cfg.Closures = append(cfg.Closures, d)
	}
	if len(probs.list) == 0 {
		if _, err := calendar.New(cfg); err != nil {
			probs.add("calendar", "%v", err)
		}
	}
	return cfg
}

// calendarText describes the working calendar for check-config.
func (c *Config) calendarText() string {
	region := string(c.Calendar.Region)
	for name, r := range regions {
		if r == c.Calendar.Region && strings.Contains(name, "-") {
			region = name
		}
	}
	s := fmt.Sprintf("%s bank holidays, working hours %s–%s %s", region, formatClock(c.Calendar.DayStart), formatClock(c.Calendar.DayEnd), c.Calendar.Location)
	if n := len(c.Calendar.Closures); n > 0 {
		days := make([]string, n)
		for i, d := range c.Calendar.Closures {
			days[i] = d.String()
		}
		s += "; closed " + strings.Join(days, ", ")
	}
	return s
}
