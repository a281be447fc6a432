package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Markdown writes the report's summary, fit for the business team's
// channel: counts, stages, categories, agencies and themes; no case's words
// and no subject reference (nor, to keep the post short, any case).
func Markdown(w io.Writer, r Report) error {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	days := func(d Durations) string {
		if d.Count == 0 {
			return "none resolved"
		}
		return fmt.Sprintf("median %s, 90th percentile %s %s (%d resolved)", oneDecimal(d.Median), oneDecimal(d.P90), r.DayUnit, d.Count)
	}

	line("# Escalation report: %s", PeriodLabel(r.From, r.To))
	line("")
	line("%s. Professional disagreements under the escalation policy; times are %s time.", r.Partnership, r.TimeZone)
	line("")
	line("## Summary")
	line("")
	line("- Raised: %d", r.Raised)
	line("- Closed: %d (%d resolved, %d withdrawn)", r.Closed, r.Resolved, r.Withdrawn)
	line("- Open at the start of the period: %d; at its end: %d", r.OpenAtStart, r.OpenAtEnd)
	line("- Started at a later stage for risk of immediate harm: %d", r.ImmediateRisk)
	line("- Stage windows that lapsed: %d (in %d cases)", r.LapsedWindows, r.CasesLapsed)
	line("- Time to resolution: %s", days(r.ResolutionDays))
	if len(r.SubjectTypes) > 0 {
		var parts []string
		for _, s := range r.SubjectTypes {
			parts = append(parts, fmt.Sprintf("%s %d", s.Label, s.Count))
		}
		line("- About: %s", strings.Join(parts, ", "))
	}

	line("")
	line("## Stages")
	line("")
	line("Of the cases raised in the period, how many were held at each stage and how many went no further; of those closed in it, how long resolution took by the furthest stage reached.")
	line("")
	stageLines := func(stages []StageFigures) {
		for _, s := range stages {
			line("- %s: held %d, went no further %d, started here %d; resolved %d, withdrawn %d; windows lapsed %d; %s",
				s.Name, s.Held, s.Furthest, s.Started, s.Resolved, s.Withdrawn, s.Lapsed, days(s.ResolutionDays))
		}
	}
	stageLines(r.Stages)
	for _, rt := range r.Routes {
		line("")
		line("### Route: %s", rt.Name)
		line("")
		line("The cases that followed this route, at its own stages (they are not in the stages above).")
		line("")
		stageLines(rt.Stages)
	}

	// counts writes one section of labelled counts, or what an empty one means.
	counts := func(title, empty string, items []Count) {
		line("")
		line("## %s", title)
		line("")
		if len(items) == 0 {
			line("%s", empty)
		}
		for _, c := range items {
			line("- %s: %d", c.Label, c.Count)
		}
	}
	pairs := make([]Count, len(r.AgencyPairs))
	for i, p := range r.AgencyPairs {
		pairs[i] = Count{Label: p.Label(), Count: p.Count}
	}
	counts("What the disagreements were about", "No disagreement was raised in the period.", r.Categories)
	counts("Agencies in disagreement", "No disagreement was raised in the period.", pairs)

	line("")
	line("## By month")
	line("")
	for _, m := range r.Months {
		line("- %s: raised %d, closed %d", m.Label, m.Raised, m.Closed)
	}

	counts("Learning themes", "No learning themes were tagged on the cases closed in the period.", r.Themes)

	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write the report summary: %w", err)
	}
	return nil
}

// csvHeader names the columns of CSV.
var csvHeader = []string{"ref", "subject_type", "category", "raiser_agency", "responder_agency", "start_stage",
	"stage_reached", "state", "opened", "closed", "days_open", "lapsed_windows", "immediate_risk", "themes"}

// CSV writes one row per case of the period: no free text, no subject
// reference. Times are in the report's time zone; days_open is in the
// report's DayUnit.
func CSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write the report's cases: %w", err)
	}
	for _, c := range r.Cases {
		closed := ""
		if !c.Closed.IsZero() {
			closed = csvTime(c.Closed)
		}
		rec := []string{c.Ref, c.SubjectType, c.Category, c.RaiserAgency, c.ResponderAgency, c.StartStage,
			c.StageReached, c.State, csvTime(c.Opened), closed, oneDecimal(c.DaysOpen), strconv.Itoa(c.LapsedWindows),
			strconv.FormatBool(c.ImmediateRisk), strings.Join(c.Themes, "; ")}
		for i := range rec {
			rec[i] = cell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write the report's cases: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write the report's cases: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string { return t.Format("2006-01-02 15:04") }

func oneDecimal(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// cell keeps a spreadsheet from reading a value as a formula (a theme or
// an agency name typed as "=..." would otherwise run when the file opens).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
