package config

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// CheckConfig validates the configuration file at path (with the process's
// environment) and prints the effective policy and, for a case raised at
// at, the deadline of each stage. It is `escalate check-config FILE`.
func CheckConfig(w io.Writer, path string, at time.Time) error {
	return CheckConfigEnv(w, path, at, os.Getenv)
}

// CheckConfigEnv is CheckConfig with the environment read through getenv:
// the file and this machine's environment together, as `escalate serve`
// checks them (`check-config --env`).
func CheckConfigEnv(w io.Writer, path string, at time.Time, getenv func(string) string) error {
	c, err := Load(path, getenv)
	if err != nil {
		return err
	}
	source := path
	if path == "" {
		source = practiceSource
	}
	return c.describe(w, source, at)
}

// CheckFile checks the file alone (`check-config FILE`): what the
// environment must still provide where it is deployed (a key, a Redis, a
// platform's secrets) is listed as a reminder, not counted as a problem of
// the file, so the same file checks the same on any machine.
func CheckFile(w io.Writer, path string, at time.Time, getenv func(string) string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the configuration: %w", err)
	}
	c, envProblems, err := parseSplit(data, path, false, getenv, true)
	if err != nil {
		return err
	}
	if err := c.describe(w, path, at); err != nil {
		return err
	}
	if len(envProblems) > 0 {
		pw := &printer{w: w}
		pw.line("")
		pw.line("Not checked: this machine's environment (add --env to check it as escalate serve would). Where it runs, it will need:")
		for _, p := range envProblems {
			pw.line("  %s", p)
		}
		return pw.err
	}
	return nil
}

// CheckPreset prints a built-in policy as CheckConfig does, with the
// practice directory and the default calendar (England and Wales,
// 09:00–17:00 Europe/London). It is `escalate check-config PRESET`.
func CheckPreset(w io.Writer, name string, at time.Time) error {
	if !contains(Presets(), name) {
		return fmt.Errorf("%w %q; the presets are %s", ErrUnknownPreset, name, strings.Join(Presets(), ", "))
	}
	c, err := Parse([]byte("policy:\n  preset: "+name+"\n"), nil)
	if err != nil {
		return fmt.Errorf("preset %s: %w", name, err)
	}
	return c.describe(w, "preset "+name, at)
}

// describe prints the configuration's effective policy and deadlines.
func (c *Config) describe(w io.Writer, source string, at time.Time) error {
	env, cal, err := c.WorkflowEnv()
	if err != nil {
		return err
	}
	p := env.Policy
	pw := &printer{w: w}
	pw.line("%s is valid.", source)
	pw.line("")
	pw.kv("Partnership", c.Partnership)
	pw.kv("Environment", fmt.Sprintf("%s (%s)", c.Env, c.platforms()))
	origin := "written out in the configuration"
	if c.Preset != "" {
		origin = "the built-in preset " + c.Preset
	}
	pw.kv("Policy", fmt.Sprintf("%s, id %s (%s)", p.Partnership, p.ID, origin))
	pw.kv("Covers", subjectsText(p))
	pw.kv("Disputes", yesNo(p.WithinAgency, "between agencies and within one", "between agencies only (a concern within one agency goes to that agency's own escalation policy)"))
	if f := p.FeedFrom(); f > 0 {
		pw.kv("Business team", "follows each case from "+p.StageName(f))
	} else {
		pw.kv("Business team", "follows no stage")
	}
	pw.kv("Resolutions", yesNo(p.NotifyOnResolution, "the business team is told of every resolution", "the business team is told of the resolutions of the cases it follows"))
	pw.kv("Lapses", yesNo(p.LapseNotifiesNextTier, "the raiser's side is prompted and the next tier is told", "the raiser's side is prompted to escalate"))
	if w := p.ImmediateRiskWindow; w.Amount > 0 {
		pw.kv("Immediate risk", fmt.Sprintf("while a case is at risk of immediate harm no stage's window runs longer than %s", w))
	}
	if len(p.ImmediateRiskTell) > 0 {
		var told []string
		for _, r := range p.ImmediateRiskTell {
			told = append(told, p.RoleLabel(r))
		}
		pw.kv("Immediate risk", "told at once: the "+strings.Join(told, ", the ")+" of each side's agency")
	}
	if p.ImmediateRiskMaxStage > 0 {
		pw.kv("Immediate risk", fmt.Sprintf("a case may start at stage %d at the latest, with a reason", p.ImmediateRiskMaxStage))
	} else {
		pw.kv("Immediate risk", "a case may start at any stage, with a reason")
	}
	pw.kv("Raising", raiseLimitText(p.RaiseWithin))
	if c.PolicySource != "" {
		pw.wrapped(fmt.Sprintf("%-16s", "Policy notes:"), c.PolicySource)
	}
	if r := c.SubjectRef; r.Pattern != nil {
		pw.kv("Case numbers", fmt.Sprintf("must match %s, e.g. %s", strings.TrimSuffix(strings.TrimPrefix(r.Pattern.String(), "^(?:"), ")$"), r.Example))
	} else {
		pw.kv("Case numbers", "any shape that does not look like a person's details")
	}
	if len(p.Roles) > 0 {
		var roles []string
		for _, r := range p.Roles {
			roles = append(roles, fmt.Sprintf("%s (%s, ranks with %s)", r.ID, r.Label, r.RanksWith))
		}
		pw.kv("Own roles", strings.Join(roles, "; "))
	}
	pw.kv("Calendar", c.calendarText())
	pw.kv("Directory", fmt.Sprintf("%d agencies; %d entries in all (one per person per platform id), %d for the chair, %d for the business team", len(c.Directory.Agencies), len(c.Directory.People), len(c.Directory.Chair), len(c.Directory.BusinessTeam)))
	c.describeHolders(pw, p, env.Directory)
	c.describeTeams(pw)
	pw.kv("Digest", fmt.Sprintf("%s on working days; retention %s; scheduler tick %s", formatClock(c.DigestAt), retentionText(c.RetentionDays), c.Tick))
	describeStages(pw, p)
	for _, r := range p.Routes {
		var cats []string
		for _, c := range r.Categories {
			cats = append(cats, c.Label())
		}
		pw.line("")
		pw.line("Route %s (%s), for: %s", r.ID, r.Name, strings.Join(cats, "; "))
		pw.wrapped("  source:        ", r.Source)
		if r.RaiseWithin != (workflow.Window{}) {
			pw.line("  raising:       %s", raiseLimitText(r.RaiseWithin))
		}
		describeStages(pw, p.OnRoute(r))
	}
	pw.line("")
	loc := cal.Location()
	pw.line("Deadlines, in the partnership's time (%s), for a case raised %s that sits at each stage for its whole window (stage N+1 opens when stage N's closes):", loc, partnershipTime(at, loc))
	for i, d := range StageDeadlines(p, cal, at) {
		pw.line("stage %d: %s  %s, %s", i+1, partnershipTime(d, loc), p.StageName(i+1), p.Stage(i+1).Window)
	}
	return pw.err
}

// describeHolders warns, per agency and stage role, where the file's
// directory lists nobody who could hold a stage, and, for the practice
// console, when nobody in it can be played. These are warnings, not
// errors: a CSV import or a group may fill the gap, and the practice
// console stands practice people in.
func (c *Config) describeHolders(pw *printer, p *workflow.Policy, d *workflow.Directory) {
	if gaps := workflow.Gaps(p, d); len(gaps) > 0 {
		pw.line("Warning: %d stage roles have nobody in the directory to hold them (escalate directory check says the same of the directory in use, with its imports):", len(gaps))
		for _, g := range gaps {
			pw.line("  - %s", g.Describe(p, d))
		}
		if p.AnyoneWhereUnlisted {
			pw.line("  Until someone is listed, whoever escalates names anyone there and the record says who chose whom (policy.anyone_where_unlisted).")
		} else {
			pw.line("  Until someone is listed (here, by escalate directory import, or a group), no case can be escalated to those stages there.")
		}
	}
	if c.Practice() && c.fileDirectory && !slices.ContainsFunc(d.People, func(p workflow.Person) bool { return p.ID.Platform() == platformConsole }) {
		pw.line("Warning: nobody in this file's directory has a console: id, so the practice console cannot play any of them; it will stand practice people in for each role (nobody real is reached).")
	}
}

// describeTeams prints the Teams bots and names the people no bot can
// reach (their messages are parked, never sent through another tenant's
// bot).
func (c *Config) describeTeams(pw *printer) {
	if !c.TeamsEnabled() {
		return
	}
	t := c.Teams
	if len(t.Registrations) == 0 {
		pw.kv("Teams", fmt.Sprintf("one bot, app %s in tenant %s", t.AppID, t.TenantID))
	}
	for _, r := range t.Registrations {
		pw.kv("Teams bot", fmt.Sprintf("%s: app %s in tenant %s, secret in %s", r.Name, r.AppID, r.TenantID, r.PasswordEnv()))
	}
	if t.FeedConversation != "" && t.FeedTenant != "" {
		pw.kv("Teams feed", "posted by the bot of tenant "+t.FeedTenant)
	}
	if lost := c.UnreachableOnTeams(); len(lost) > 0 {
		pw.line("Not reachable on Teams (their Teams messages are parked until their tenant's bot is registered):")
		for _, l := range lost {
			pw.line("  - %s", l)
		}
	}
}

// StageDeadlines are the deadlines a case raised at at would get if it
// sat at each stage for its whole window, each stage opening when the one
// before closed. The arithmetic is the workflow's: working windows open at
// the next working instant and close the same clock time N working days
// (or hours) later; a window in calendar hours runs from the moment itself.
func StageDeadlines(p *workflow.Policy, cal workflow.Calendar, at time.Time) []time.Time {
	out := make([]time.Time, 0, len(p.Stages))
	t := at
	for _, s := range p.Stages {
		_, t = workflow.WindowFrom(cal, t, s.Window)
		out = append(out, t)
	}
	return out
}

func (c *Config) platforms() string {
	var on []string
	if c.SlackEnabled() {
		mode := "HTTP"
		if c.Slack.SocketMode() {
			mode = "Socket Mode"
		}
		on = append(on, "Slack, "+mode)
	}
	if c.TeamsEnabled() {
		on = append(on, "Teams")
	}
	if len(on) == 0 {
		return "practice console: neither Slack nor Teams is configured"
	}
	return strings.Join(on, "; ")
}

func subjectsText(p *workflow.Policy) string {
	var s []string
	for _, k := range p.Subjects {
		switch k {
		case workflow.SubjectChild:
			s = append(s, "children")
		case workflow.SubjectAdult:
			s = append(s, "adults with care and support needs")
		}
	}
	return strings.Join(s, " and ")
}

func finalText(p *workflow.Policy, s workflow.Stage, last bool) string {
	switch s.Final {
	case workflow.FinalChairResolve:
		return "the chair resolves it directly"
	case workflow.FinalChairOrPanel:
		return "the chair resolves it directly or convenes a resolution panel of three agencies (a meeting)"
	case workflow.FinalDecider:
		return "the " + p.RoleLabel(s.Role) + " of " + s.DeciderAgency + " decides how it is resolved"
	}
	if last {
		return "the holders resolve it between them (the last stage)"
	}
	return "-"
}

// raiseLimitText is the policy's time limit on raising, as check-config
// prints it.
func raiseLimitText(w workflow.Window) string {
	if w.Amount <= 0 {
		return "no time limit from the decision disputed"
	}
	return fmt.Sprintf("within %s of the decision disputed (the raise form's date of the decision); a later raise is still accepted, with the raiser's reason on the record", w)
}

func retentionText(days int) string {
	if days == 0 {
		return "forever (never purged)"
	}
	return fmt.Sprintf("%d days after closure", days)
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// printer writes lines and keeps the first write error.
type printer struct {
	w   io.Writer
	err error
}

// kv prints a labelled line, values aligned.
func (p *printer) kv(label, value string) { p.line("%-16s%s", label+":", value) }

func (p *printer) line(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", a...)
	}
}

// wrapped prints text folded to 100 columns after a prefix, continuation
// lines indented under it.
func (p *printer) wrapped(prefix, text string) {
	if text == "" {
		p.line("%s-", prefix)
		return
	}
	indent := strings.Repeat(" ", len(prefix))
	line := prefix
	for _, word := range strings.Fields(text) {
		if len(line)+1+len(word) > 100 && len(line) > len(indent) {
			p.line("%s", line)
			line = indent
		}
		if line != prefix && line != indent {
			line += " "
		}
		line += word
	}
	p.line("%s", line)
}

// partnershipTime is how a deadline reads to the people who keep it: the
// partnership's own clock and words, "Mon 4 Jan 2027, 10:00 GMT".
func partnershipTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// describeStages prints each stage of p (the main route's, or a route's).
func describeStages(pw *printer, p *workflow.Policy) {
	for i, s := range p.Stages {
		n := i + 1
		pw.line("")
		pw.line("%s", p.StageName(n))
		if r, o := s.RoleOn(workflow.SideRaiser), s.RoleOn(workflow.SideResponder); r != o {
			pw.line("  roles:         %s (%s) on the raiser's side, %s (%s) on the other", r, p.RoleLabel(r), o, p.RoleLabel(o))
		} else {
			pw.line("  role:          %s (%s)", s.Role, p.RoleLabel(s.Role))
		}
		if s.WindowAgreed {
			pw.line("  window:        at most %s, agreed between the holders (Set the deadline), or sooner with a recorded reason", s.Window)
		} else {
			pw.line("  window:        at most %s; sooner for a case, with a recorded reason, when raising or escalating", s.Window)
		}
		if s.Remind.Amount > 0 {
			pw.line("  reminder:      %s before the window closes", s.Remind)
		} else {
			pw.line("  reminder:      none")
		}
		if len(s.Tell) > 0 {
			var told []string
			for _, r := range s.Tell {
				if r == workflow.RoleChair {
					told = append(told, "the partnership chair")
				} else {
					told = append(told, p.RoleLabel(r)+" of each side's agency")
				}
			}
			pw.line("  told:          %s (they read the case and add notes; they do not act)", strings.Join(told, "; "))
		}
		if m := s.MeetingRule(); m != nil {
			side := map[workflow.Side]string{workflow.SideRaiser: "the raiser's side", workflow.SideResponder: "the other side", workflow.SideChair: "whoever decides the stage"}[m.ConvenedBy]
			what := "a meeting"
			if n := strings.TrimSpace(m.Name); n != "" {
				what = "a " + n
			}
			if m.Agencies > 0 {
				what += fmt.Sprintf(" of %d agencies", m.Agencies)
			}
			chair := ""
			if m.IndependentlyChaired {
				chair = ", independently chaired"
			}
			pw.line("  meeting:       %s, convened by %s within the window%s; attendees chosen per case; its outcome recorded", what, side, chair)
		}
		if r := s.Response; r != nil {
			what := r.What
			if what == "" {
				what = "a written response"
			}
			side := map[workflow.Side]string{workflow.SideRaiser: "the raiser's side", workflow.SideResponder: "the other side"}[r.From]
			rem := "no reminder"
			if r.Remind.Amount > 0 {
				rem = "reminded " + r.Remind.String() + " before"
			}
			pw.line("  response:      %s from %s within %s of the stage opening (%s); it goes on the record", what, side, r.Within, rem)
		}
		if r := s.AfterResolution; r != nil {
			what := r.What
			if what == "" {
				what = "a written confirmation of the outcome"
			}
			side := map[workflow.Side]string{workflow.SideRaiser: "the raiser's side", workflow.SideResponder: "the other side", workflow.SideChair: "whoever decides the stage"}[r.From]
			rem := "no reminder"
			if r.Remind.Amount > 0 {
				rem = "reminded " + r.Remind.String() + " before"
			}
			pw.line("  afterwards:    when resolved here, %s from %s within %s of the resolution (%s); it goes on the record, which says while it is outstanding", what, side, r.Within, rem)
		}
		if s.Optional {
			pw.line("  optional:      whoever escalates from %s may skip it, with a recorded reason", p.StageName(n-1))
		}
		pw.line("  business team: %s", yesNo(p.FeedAt(n), "told", "not told"))
		pw.line("  final:         %s", finalText(p, s, n == p.Last()))
		pw.wrapped("  source:        ", s.Source)
	}
}
