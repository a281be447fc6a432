package workflow

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const secretLate = "SECRET-LATE: the decision letter reached us only yesterday"

// limitedEnv: "raise the matter … within 2 working days of the
// disagreement". Friday 6 March 2026 is a closure day of the fake calendar.
func limitedEnv(t testing.TB) Env {
	env := newEnv(t, "2026-03-06")
	env.Policy.RaiseWithin = Window{2, WorkingDays}
	return env
}

func TestRaiseLimitPassed(t *testing.T) {
	cal := newFakeCalendar(t, "2026-03-06")
	for _, tc := range []struct {
		name    string
		w       Window
		decided Date
		now     time.Time
		last    string // "" when no limit applies
		late    bool
	}{
		{"no limit", Window{}, "2026-02-20", t0, "", false},
		{"no decision date", Window{2, WorkingDays}, "", t0, "", false},
		{"an unreadable date", Window{2, WorkingDays}, "27/02/2026", t0, "", false},
		// Friday's decision: Monday and Tuesday are its 2 working days.
		{"on the last day", Window{2, WorkingDays}, "2026-02-27", lt(2026, 3, 3, 23, 59), "Tue 3 Mar 2026", false},
		{"on the first day after", Window{2, WorkingDays}, "2026-02-27", lt(2026, 3, 4, 0, 0), "Tue 3 Mar 2026", true},
		{"the same day", Window{2, WorkingDays}, "2026-03-02", lt(2026, 3, 2, 16, 0), "Wed 4 Mar 2026", false},
		// Thursday's decision: Friday is closed, the weekend is not counted.
		{"over a closure day and a weekend", Window{2, WorkingDays}, "2026-03-05", lt(2026, 3, 10, 9, 0), "Tue 10 Mar 2026", false},
		{"after a closure day and a weekend", Window{2, WorkingDays}, "2026-03-05", lt(2026, 3, 11, 9, 0), "Tue 10 Mar 2026", true},
		{"a decision on a Saturday", Window{1, WorkingDays}, "2026-02-28", lt(2026, 3, 2, 12, 0), "Mon 2 Mar 2026", false},
		// "within 72 hours of the conference meeting": to the end of the
		// third day after, since the meeting's time is not known.
		{"72 hours, the third day", Window{72, Hours}, "2026-03-02", lt(2026, 3, 5, 17, 0), "Thu 5 Mar 2026", false},
		{"72 hours, the fourth day", Window{72, Hours}, "2026-03-02", lt(2026, 3, 6, 9, 0), "Thu 5 Mar 2026", true},
		{"36 hours round up to 2 days", Window{36, Hours}, "2026-03-02", lt(2026, 3, 4, 12, 0), "Wed 4 Mar 2026", false},
		{"a decision dated after today", Window{2, WorkingDays}, "2026-03-20", t0, "Tue 24 Mar 2026", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last, late := RaiseLimitPassed(cal, tc.w, tc.decided, tc.now)
			got := ""
			if !last.IsZero() {
				got = last.Format("Mon 2 Jan 2006")
			}
			if got != tc.last || late != tc.late {
				t.Errorf("last day %q late %v, want %q %v", got, late, tc.last, tc.late)
			}
		})
	}
}

// A raise after the limit is never refused for lateness: it asks why, and
// the reason goes on the record with the raise.
func TestALateRaiseAsksWhyAndIsRaised(t *testing.T) {
	env := limitedEnv(t)
	if errs := env.Policy.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	at := lt(2026, 3, 4, 10, 0) // Wednesday: Friday's decision is a day past its 2 working days
	in := raiseInput()

	// Without a reason: one inline problem, on the reason's field, naming
	// the limit and the day it passed; nothing is raised.
	c := newCase(t, env)
	r := c.refused(raiseCmd(in, at), RefuseInvalid)
	want := "The decision was on Fri 27 Feb: the policy's 2 working days passed at the end of Tue 3 Mar. Say why it is raised now; it will still be raised."
	if len(r.Fields) != 1 || r.Fields[FieldLateReason] != want {
		t.Errorf("fields %q", r.Fields)
	}
	if errs := in.ValidateAt(env, sw, at); errs[FieldLateReason] != want {
		t.Errorf("ValidateAt %q", errs)
	}
	if errs := in.Validate(env, sw); len(errs) != 0 {
		t.Errorf("Validate, which knows no time, %q", errs)
	}
	long := *in
	long.LateReason = strings.Repeat("x", MaxText+1)
	if r := c.refused(raiseCmd(&long, at), RefuseInvalid); !strings.Contains(r.Fields[FieldLateReason], "characters at most") {
		t.Errorf("a reason too long: %q", r.Fields)
	}

	// With one: raised, and the record says so.
	in.LateReason = "  " + secretLate + " "
	res := c.do(raiseCmd(in, at))
	d := res.Dispute
	if !d.RaisedLate || d.LateReason != secretLate || d.State != StateOpen {
		t.Errorf("raised late %v reason %q state %s", d.RaisedLate, d.LateReason, d.State)
	}
	e := res.Events[0]
	if !strings.HasSuffix(e.Summary, "; raised after the policy's time limit (2 working days from the decision on Fri 27 Feb)") {
		t.Errorf("summary %q", e.Summary)
	}
	if e.Text != LateReasonLabel+": "+secretLate {
		t.Errorf("text %q", e.Text)
	}
	if m := msgTo(t, res, hv); !slices.Contains(m.Lines, LateReasonLabel+": "+secretLate) {
		t.Errorf("the other side is not told why: %q", m.Lines)
	}
	if !slices.Contains(d.FreeText(), &d.LateReason) {
		t.Error("the reason is not free text (encrypted, purged)")
	}
}

func TestALateRaiseRules(t *testing.T) {
	at := lt(2026, 3, 4, 10, 0)
	for _, tc := range []struct {
		name   string
		change func(env *Env, in *RaiseInput)
		late   bool   // raised late, reason recorded
		field  string // the one problem expected, "" when raised
	}{
		{"in time", func(env *Env, in *RaiseInput) { in.DecisionDate = "2026-03-02" }, false, ""},
		{"in time, a reason given anyway is not kept", func(env *Env, in *RaiseInput) {
			in.DecisionDate, in.LateReason = "2026-03-02", secretLate
		}, false, ""},
		{"no decision date: nothing to count from", func(env *Env, in *RaiseInput) { in.DecisionDate = "" }, false, ""},
		{"a date that is not one is that field's problem alone", func(env *Env, in *RaiseInput) { in.DecisionDate = "last week" }, false, FieldDecisionDate},
		{"no limit in the policy", func(env *Env, in *RaiseInput) { env.Policy.RaiseWithin = Window{} }, false, ""},
		{"late with a reason", func(env *Env, in *RaiseInput) { in.LateReason = secretLate }, true, ""},
		{"late without a reason", func(env *Env, in *RaiseInput) {}, false, FieldLateReason},
		{"late at immediate risk: asked why too, never refused for lateness", func(env *Env, in *RaiseInput) {
			in.ImmediateRisk, in.StartStage, in.StartReason = true, 3, secretStartReason
		}, false, FieldLateReason},
		{"a route's own limit", func(env *Env, in *RaiseInput) {
			env.Policy.RaiseWithin = Window{}
			env.Policy.Routes = []Route{{ID: "conference", Name: "Conference dissent", Categories: []Category{CatConferenceRefused},
				Stages: env.Policy.Stages[:2], RaiseWithin: Window{72, Hours}}}
			in.Category, in.DecisionDate = CatConferenceRefused, "2026-02-28"
		}, false, FieldLateReason},
		{"a route without one keeps the policy's", func(env *Env, in *RaiseInput) {
			env.Policy.Routes = []Route{{ID: "conference", Name: "Conference dissent", Categories: []Category{CatConferenceRefused}, Stages: env.Policy.Stages[:2]}}
			in.Category, in.LateReason = CatConferenceRefused, secretLate
		}, true, ""},
		{"another route's limit does not apply", func(env *Env, in *RaiseInput) {
			env.Policy.RaiseWithin = Window{}
			env.Policy.Routes = []Route{{ID: "conference", Name: "Conference dissent", Categories: []Category{CatConferenceRefused},
				Stages: env.Policy.Stages[:2], RaiseWithin: Window{1, WorkingDays}}}
		}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := limitedEnv(t)
			in := raiseInput()
			tc.change(&env, in)
			c := newCase(t, env)
			if tc.field != "" {
				r := c.refused(raiseCmd(in, at), RefuseInvalid)
				if _, ok := r.Fields[tc.field]; !ok || len(r.Fields) != 1 {
					t.Errorf("fields %q, want only %s", r.Fields, tc.field)
				}
				return
			}
			res := c.do(raiseCmd(in, at))
			d, e := res.Dispute, res.Events[0]
			if d.RaisedLate != tc.late || (d.LateReason != "") != tc.late || strings.Contains(e.Summary, "time limit") != tc.late {
				t.Errorf("raised late %v reason %q summary %q", d.RaisedLate, d.LateReason, e.Summary)
			}
		})
	}
}

// A late raise at a later stage keeps both reasons, each said.
func TestALateRaiseAtALaterStageSaysBothReasons(t *testing.T) {
	env := limitedEnv(t)
	in := raiseInput()
	in.ImmediateRisk, in.StartStage, in.StartReason, in.LateReason = true, 3, secretStartReason, secretLate
	c := newCase(t, env)
	res := c.do(raiseCmd(in, lt(2026, 3, 4, 10, 0)))
	if e := res.Events[0]; e.Text != "Why it started at a later stage: "+secretStartReason+"\n\n"+LateReasonLabel+": "+secretLate {
		t.Errorf("text %q", e.Text)
	}
	for _, m := range feedOf(res) {
		if !strings.HasSuffix(m.Title, "; raised after the policy's time limit") {
			t.Errorf("feed %q", m.Title)
		}
	}
	if len(feedOf(res)) != 1 {
		t.Errorf("%d feed posts", len(feedOf(res)))
	}
}

func TestTheRaiseFormAsksWhyLate(t *testing.T) {
	env := limitedEnv(t)
	f := RaiseForm(env)
	i := slices.IndexFunc(f.Fields, func(fl FormField) bool { return fl.Name == FieldLateReason })
	if i < 1 || f.Fields[i-1].Name != FieldDecisionDate {
		t.Fatalf("the late reason is not asked after the decision's date: %d", i)
	}
	if fl := f.Fields[i]; fl.Label != "Why is this raised after the policy's 2 working days?" || fl.Required || fl.Type != FieldArea || !strings.Contains(fl.Hint, "still raised") {
		t.Errorf("field %+v", fl)
	}
	if in := ParseRaise(Values{FieldLateReason: {" " + secretLate + " "}}); in.LateReason != secretLate {
		t.Errorf("parsed %q", in.LateReason)
	}
	// Limits that differ by route are named together.
	env.Policy.Routes = []Route{{ID: "conference", Name: "Conference dissent", Categories: []Category{CatConferenceRefused}, Stages: env.Policy.Stages[:2], RaiseWithin: Window{72, Hours}}}
	f = RaiseForm(env)
	if i := slices.IndexFunc(f.Fields, func(fl FormField) bool { return fl.Name == FieldLateReason }); i < 0 ||
		f.Fields[i].Label != "Why is this raised after the policy's time limit?" || !strings.Contains(f.Fields[i].Hint, "2 working days or 72 hours") {
		t.Errorf("with two limits: %+v", f.Fields)
	}
	// No limit, no question.
	if f := RaiseForm(newEnv(t)); slices.ContainsFunc(f.Fields, func(fl FormField) bool { return fl.Name == FieldLateReason }) {
		t.Error("a policy with no limit asks why late")
	}
}

func TestRaiseWithinValidates(t *testing.T) {
	for _, tc := range []struct {
		w    Window
		want string // "" valid
	}{
		{Window{2, WorkingDays}, ""},
		{Window{72, Hours}, ""},
		{Window{}, ""},
		{Window{0, WorkingDays}, "raise_within: must be positive"},
		{Window{4, WorkingHours}, "raise_within: is counted from the date of the decision"},
		{Window{2, "weeks"}, "raise_within.unit: must be working_days, working_hours or hours"},
		{Window{261, WorkingDays}, "raise_within: is 260 working days at most"},
		{Window{9000, Hours}, "raise_within: is 8784 hours at most"},
	} {
		p := testPolicy()
		p.RaiseWithin = tc.w
		var got []string
		for _, e := range p.Validate() {
			got = append(got, e.Path+": "+e.Message)
		}
		if tc.want == "" && len(got) > 0 || tc.want != "" && !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, tc.want) }) {
			t.Errorf("%+v: %q, want %q", tc.w, got, tc.want)
		}
	}
	// A route's own is named by the route; one it inherits is not named twice.
	p := testPolicy()
	p.RaiseWithin = Window{4, WorkingHours}
	p.Routes = []Route{
		{ID: "conference", Name: "Conference dissent", Categories: []Category{CatConferenceRefused}, Stages: p.Stages[:2], RaiseWithin: Window{-1, Hours}},
		{ID: "other", Name: "Other", Categories: []Category{CatThresholds}, Stages: p.Stages[:2]},
	}
	var paths []string
	for _, e := range p.Validate() {
		paths = append(paths, e.Path)
	}
	slices.Sort(paths)
	if want := []string{"raise_within", "routes[0].raise_within"}; !slices.Equal(slices.Compact(paths), want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
}
