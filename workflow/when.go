package workflow

import "time"

// The one way Escalate writes a time for people: "Fri 4 Dec, 09:00" in the
// partnership's zone. Every renderer (Slack, Teams, email, the console, the
// web page, the digest) calls FormatTime, so a deadline reads the same
// wherever a person meets it, and never with an ISO form beside it. The
// year is left out: a case's times are days apart, and a person reads
// "Fri 4 Dec" faster than "Fri 4 Dec 2026". Documents kept for years (the
// written record, reports) use FormatTimeYear, the same style with the year.

// TimeLayout is the layout of FormatTime.
const TimeLayout = "Mon 2 Jan, 15:04"

// FormatTime is t in loc (UTC when nil) as "Fri 4 Dec, 09:00"; "—" for the
// zero time.
func FormatTime(t time.Time, loc *time.Location) string {
	return format(t, loc, TimeLayout)
}

// FormatTimeYear is FormatTime with the year, for documents kept on file:
// "Fri 4 Dec 2026, 09:00".
func FormatTimeYear(t time.Time, loc *time.Location) string {
	return format(t, loc, "Mon 2 Jan 2006, 15:04")
}

// FormatDay is the day of t in loc: "Fri 4 Dec".
func FormatDay(t time.Time, loc *time.Location) string {
	return format(t, loc, "Mon 2 Jan")
}

// FormatClock is the time of day of t in loc: "09:00".
func FormatClock(t time.Time, loc *time.Location) string {
	return format(t, loc, "15:04")
}

func format(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layout)
}

// DateWords is a calendar date ("2026-03-05") as a person writes it: "Thu
// 5 Mar", with the year when it is not the year of ref (a decision made
// last year, say) or there is no ref (a document kept on file). A date that
// does not parse is shown as given.
func DateWords(d Date, ref time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t, err := time.ParseInLocation(time.DateOnly, string(d), loc)
	if err != nil {
		return string(d)
	}
	if ref.IsZero() || ref.In(loc).Year() != t.Year() {
		return t.Format("Mon 2 Jan 2006")
	}
	return t.Format("Mon 2 Jan")
}
