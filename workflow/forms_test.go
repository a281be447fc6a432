package workflow

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func fieldNames(f Form) []string {
	var n []string
	for _, x := range f.Fields {
		n = append(n, x.Name)
	}
	return n
}

func field(t testing.TB, f Form, name string) FormField {
	t.Helper()
	for _, x := range f.Fields {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("form %s has no field %s", f.Kind, name)
	return FormField{}
}

func optionValues(o []Option) []string {
	var v []string
	for _, x := range o {
		v = append(v, x.Value)
	}
	return v
}

func TestRaiseForm(t *testing.T) {
	env := newEnv(t)
	f := RaiseForm(env)
	if f.Kind != FormRaise || f.Submit != "Raise" || !slices.Equal(f.Emergency, emergencyRoute) {
		t.Errorf("form %+v", f)
	}
	// A policy for children alone does not ask who it is about: it says so.
	sameStrings(t, "fields", fieldNames(f), []string{FieldSubjectRef, FieldCategory, FieldPlan, FieldDecision, FieldDecisionDate,
		FieldRaiserAgency, FieldResponderAgency, FieldResponder, FieldResponderEmail, FieldCoRaisers, FieldDisagreement, FieldOutcomeSought, FieldEvidence,
		FieldImmediateRisk, FieldStartStage, FieldStartReason, FieldSoonerBy, FieldSoonerReason})
	intro := strings.Join(f.Intro, " ")
	for _, want := range []string{"Who is it about? Child.", "leaves a child unsafe", "Not for complaints, whistleblowing or concerns about a professional's conduct", "Never type a name"} {
		if !strings.Contains(intro, want) {
			t.Errorf("intro lacks %q: %s", want, intro)
		}
	}
	cats := optionValues(field(t, f, FieldCategory).Options)
	// Neither the adults' category nor, between agencies only, one's own
	// management's position.
	if len(cats) != len(Categories)-2 || slices.Contains(cats, string(CatSafeguardingEnquiry)) || slices.Contains(cats, string(CatOwnManagement)) {
		t.Errorf("a children's policy offers %q", cats)
	}
	sameStrings(t, "plans", optionValues(field(t, f, FieldPlan).Options), []string{"none", "early_help", "child_in_need", "child_protection", "looked_after"})
	sameStrings(t, "agencies", optionValues(field(t, f, FieldResponderAgency).Options), []string{agCSC, agNHS, agPolice, agEdu})
	stages := field(t, f, FieldStartStage)
	if !stages.ImmediateRisk || stages.Value != "1" || len(stages.Options) != 4 || stages.Options[3].Label != "Stage 4 (Partnership chair)" {
		t.Errorf("start stage %+v", stages)
	}
	if ref := field(t, f, FieldSubjectRef); !ref.Required || ref.Max != 40 {
		t.Errorf("case number %+v", ref)
	}
	if !field(t, f, FieldStartReason).ImmediateRisk || field(t, f, FieldDisagreement).ImmediateRisk {
		t.Error("only the later-stage questions hang on immediate risk")
	}

	env.Policy.Subjects = []SubjectType{SubjectChild, SubjectAdult}
	f = RaiseForm(env)
	if !strings.Contains(f.Intro[0], "leaves a child or adult unsafe") || len(field(t, f, FieldCategory).Options) != len(Categories)-1 || len(field(t, f, FieldPlan).Options) != len(Plans) {
		t.Errorf("a policy for both %q", f.Intro)
	}
	if o := field(t, f, FieldCategory).Options; o[len(o)-1].Label != "Whether a safeguarding enquiry is warranted (adults)" {
		t.Errorf("adults' category %+v", o[len(o)-1])
	}
	env.Policy.Subjects = []SubjectType{SubjectAdult}
	if f = RaiseForm(env); !strings.Contains(field(t, f, FieldOutcomeSought).Label, "for the adult") {
		t.Errorf("label %q", field(t, f, FieldOutcomeSought).Label)
	}
}

func TestParseRaise(t *testing.T) {
	v := Values{
		FieldSubjectType: {"child"}, FieldSubjectRef: {" " + secretSubjectRef + " "}, FieldCategory: {string(CatThresholds)},
		FieldPlan: {"child_protection"}, FieldDecision: {secretDecision}, FieldDecisionDate: {"2026-02-27"},
		FieldRaiserAgency: {agCSC}, FieldResponderAgency: {agNHS}, FieldResponder: {string(hv)},
		FieldDisagreement: {secretDisagreement}, FieldOutcomeSought: {secretOutcomeSought}, FieldEvidence: {secretEvidence},
		FieldStartStage: {"3"}, FieldStartReason: {secretStartReason},
	}
	in := ParseRaise(v)
	want := RaiseInput{SubjectType: SubjectChild, SubjectRef: secretSubjectRef, Category: CatThresholds, Plan: PlanChildProtect,
		DecisionDisputed: secretDecision, DecisionDate: "2026-02-27", RaiserAgency: agCSC, ResponderAgency: agNHS, Responder: hv,
		Disagreement: secretDisagreement, OutcomeSought: secretOutcomeSought, Evidence: secretEvidence,
		StartStage: 1, StartReason: secretStartReason}
	if string(snapshot(t, in)) != string(snapshot(t, want)) {
		t.Errorf("without immediate risk a form starts at stage 1:\ngot  %+v\nwant %+v", in, want)
	}
	if errs := in.Validate(newEnv(t), sw); len(errs) > 0 {
		t.Errorf("the parsed form is refused: %v", errs)
	}
	for _, yes := range []string{"true", "on", "yes", "1", FieldImmediateRisk, "TRUE"} {
		v[FieldImmediateRisk] = []string{yes}
		if in := ParseRaise(v); !in.ImmediateRisk || in.StartStage != 3 {
			t.Errorf("%q: risk %v stage %d", yes, in.ImmediateRisk, in.StartStage)
		}
	}
	for _, no := range []string{"", "false", "no", "0", "off"} {
		v[FieldImmediateRisk] = []string{no}
		if in := ParseRaise(v); in.ImmediateRisk || in.StartStage != 1 {
			t.Errorf("%q: risk %v stage %d", no, in.ImmediateRisk, in.StartStage)
		}
	}
	if in := ParseRaise(Values{}); !reflect.DeepEqual(in, RaiseInput{StartStage: 1}) {
		t.Errorf("an empty form %+v", in)
	}
	if (Values{"x": {}}).Get("x") != "" || (Values{"x": {" a ", "b"}}).Get("x") != "a" {
		t.Error("Values.Get")
	}
}

func TestActionForm(t *testing.T) {
	env := newEnv(t)
	c := raised(t)
	cases := []struct {
		kind   ActionKind
		form   FormKind
		title  string
		fields []string
	}{
		{ActResolved, FormPropose, "Record the resolution", []string{FieldOutcome, FieldOutstanding, FieldHowPursued, FieldRecordedOnFile}},
		{ActResolve, FormResolve, "Resolve as chair", []string{FieldOutcome, FieldOutstanding, FieldHowPursued, FieldRecordedOnFile}},
		{ActEscalate, FormEscalate, "Escalate to stage 2", []string{FieldText, FieldRaiserHolders, FieldResponderHolders, FieldSoonerBy, FieldSoonerReason}},
		{ActDeadline, FormDeadline, "Bring the deadline forward", []string{FieldSoonerBy, FieldSoonerReason}},
		{ActNote, FormNote, "Add a note", []string{FieldText}},
		{ActReject, FormReject, "Not agreed", []string{FieldText}},
		{ActWithdraw, FormWithdraw, "Withdraw", []string{FieldText}},
		{ActDebrief, FormDebrief, "Debrief", []string{FieldText}},
	}
	for _, tc := range cases {
		f, ok := ActionForm(env, c.d, tc.kind)
		if !ok || f.Kind != tc.form || f.Title != tc.title || f.Ref != ref1 || f.Stage != 1 || f.Submit == "" {
			t.Errorf("%s: %v %+v", tc.kind, ok, f)
			continue
		}
		sameStrings(t, string(tc.kind), fieldNames(f), tc.fields)
	}
	for _, k := range []ActionKind{ActConfirm, ActShow, "bogus"} {
		if _, ok := ActionForm(env, c.d, k); ok {
			t.Errorf("%s opens a form", k)
		}
	}
	f, _ := ActionForm(env, c.d, ActEscalate)
	if f.Intro[0] != "ESC-2026-0001 goes to Stage 2 (Manager to manager): line manager." {
		t.Errorf("intro %q", f.Intro)
	}
	if r, s := field(t, f, FieldRaiserHolders), field(t, f, FieldResponderHolders); !slices.Equal(r.Values, []string{string(lmA)}) || !slices.Equal(s.Values, []string{string(lmB)}) ||
		r.Label != "line manager, Children's Social Care" || s.Label != "line manager, Sussex Community NHS Trust" {
		t.Errorf("holders %+v %+v", r, s)
	}
	if rec := field(t, mustForm(t, env, c.d, ActResolved), FieldRecordedOnFile); rec.Label != "Recorded on the child's file" || rec.Type != FieldCheckbox {
		t.Errorf("recorded on file %+v", rec)
	}
	// The chair's resolution panel is a meeting: its day, its agencies,
	// who attends. Before the chair's stage there is no panel to convene.
	if _, ok := ActionForm(env, c.d, ActPanel); ok {
		t.Error("a panel form at stage 1")
	}
	panel := mustForm(t, env, atStage(t, 4).d, ActPanel)
	if panel.Kind != FormMeeting || panel.Title != "Convene a resolution panel" {
		t.Errorf("panel form %s %q", panel.Kind, panel.Title)
	}
	sameStrings(t, "panel", fieldNames(panel), []string{FieldMeetingOn, FieldPanel, FieldAttendees, FieldText})
	if p := field(t, panel, FieldPanel); !slices.Equal(p.Values, []string{agCSC, agNHS}) || len(p.Options) != 4 || p.Hint != "3 agencies, including the two in dispute where possible." {
		t.Errorf("panel %+v", p)
	}
	if a := field(t, panel, FieldAttendees); !slices.Equal(a.Values, []string{string(chair)}) {
		t.Errorf("attendees %+v", a)
	}

	c3 := atStage(t, 3)
	f = mustForm(t, env, c3.d, ActEscalate)
	if f.Title != "Escalate to stage 4" || len(f.Fields) != 4 || !slices.Equal(field(t, f, FieldRaiserHolders).Values, []string{string(chair)}) || field(t, f, FieldRaiserHolders).Label != "Chair" {
		t.Errorf("escalate to the chair %+v", f)
	}
}

func mustForm(t testing.TB, env Env, d *Dispute, k ActionKind) Form {
	t.Helper()
	f, ok := ActionForm(env, d, k)
	if !ok {
		t.Fatalf("%s opens no form", k)
	}
	return f
}

// A submitted form becomes the command the workflow accepts.
func TestCommandFromForm(t *testing.T) {
	v := Values{FieldText: {" " + secretNote + " "}, FieldOutcome: {secretAgreed}, FieldOutstanding: {secretOutstanding}, FieldHowPursued: {secretHowPursued},
		FieldRecordedOnFile: {"recorded_on_file"}, FieldPanel: {agCSC, agNHS, agEdu}}
	want := map[FormKind]CommandKind{FormPropose: CmdPropose, FormResolve: CmdResolve, FormEscalate: CmdEscalate, FormNote: CmdComment,
		FormReject: CmdReject, FormWithdraw: CmdWithdraw, FormDebrief: CmdDebrief, FormPanel: CmdConveneMeeting}
	for form, kind := range want {
		cmd, err := CommandFromForm(form, 2, v)
		if err != nil || cmd.Kind != kind || cmd.ExpectStage != 2 || cmd.Text != secretNote {
			t.Errorf("%s: %+v %v", form, cmd, err)
		}
	}
	cmd, _ := CommandFromForm(FormPropose, 1, v)
	if *cmd.Proposal != (Proposal{Outcome: secretAgreed, Outstanding: secretOutstanding, HowPursued: secretHowPursued, RecordedOnFile: true}) {
		t.Errorf("proposal %+v", cmd.Proposal)
	}
	if cmd, _ := CommandFromForm(FormPanel, 4, v); cmd.Meeting == nil || !slices.Equal(cmd.Meeting.Agencies, []string{agCSC, agNHS, agEdu}) {
		t.Errorf("panel %+v", cmd.Meeting)
	}
	if cmd, _ := CommandFromForm(FormEscalate, 1, v); cmd.Holders != nil {
		t.Errorf("no people chosen means the directory's: %+v", cmd.Holders)
	}
	if _, err := CommandFromForm(FormRaise, 1, v); err == nil {
		t.Error("the raise form is not a follow-up form")
	}

	// Through Apply: the escalate form with the people chosen.
	c := raised(t)
	ev := Values{FieldText: {secretReason}, FieldRaiserHolders: {string(smA), " "}, FieldResponderHolders: {string(lmB)}}
	cmd, err := CommandFromForm(FormEscalate, 1, ev)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Actor, cmd.At = sw, t0.Add(time.Hour)
	res := c.do(cmd)
	if h := res.Dispute.Current(); !slices.Equal(h.Raiser, []UserID{smA}) || !slices.Equal(h.Responder, []UserID{lmB}) || len(h.Chair) != 0 {
		t.Errorf("holders %+v", h)
	}
	// And to the chair: the one people field names the chair.
	c = atStage(t, 3)
	cmd, _ = CommandFromForm(FormEscalate, 3, Values{FieldText: {secretReason}, FieldRaiserHolders: {string(chair)}})
	cmd.Actor, cmd.At = smA, c.d.UpdatedAt
	if h := c.do(cmd).Dispute.Current(); !slices.Equal(h.Chair, []UserID{chair}) || len(h.Raiser) > 0 {
		t.Errorf("holders %+v", h)
	}
	// A panel form.
	day := c.d.Deadline.In(c.env.Calendar.Location()).Format(time.DateOnly)
	cmd, _ = CommandFromForm(FormMeeting, 4, Values{FieldPanel: {agCSC, agNHS, agEdu}, FieldMeetingOn: {day}, FieldAttendees: {string(chair)}})
	cmd.Actor, cmd.At = chair, c.d.UpdatedAt
	if d := c.do(cmd).Dispute; d.State != StatePanel || d.Meeting == nil || string(d.Meeting.On) != day {
		t.Errorf("the panel form did not convene a panel: %s %+v", d.State, d.Meeting)
	}
}

func TestCommandForAction(t *testing.T) {
	cmd, ok := CommandForAction(ActConfirm, 3)
	if !ok || cmd.Kind != CmdConfirm || cmd.ExpectStage != 3 {
		t.Errorf("confirm: %+v %v", cmd, ok)
	}
	for _, k := range []ActionKind{ActResolved, ActEscalate, ActNote, ActReject, ActResolve, ActPanel, ActWithdraw, ActDebrief, ActShow} {
		if _, ok := CommandForAction(k, 1); ok {
			t.Errorf("%s acts without a form", k)
		}
	}
}

func TestActionValue(t *testing.T) {
	a := Action{Kind: ActEscalate, Ref: "ESC-2026-0042", Stage: 3}
	if a.Value() != "ESC-2026-0042|3" {
		t.Errorf("value %q", a.Value())
	}
	cases := []struct {
		v     string
		ref   string
		stage int
		ok    bool
	}{
		{"ESC-2026-0042|3", "ESC-2026-0042", 3, true},
		{"ESC-2026-0042|0", "ESC-2026-0042", 0, true},
		{"ESC-2026-0042|12", "ESC-2026-0042", 12, true},
		{"a|b|2", "", 0, false},
		{"ESC-2026-0042|3|1764000000000000", "ESC-2026-0042", 3, true},
		{"ESC-2026-0042|3|x", "", 0, false},
		{"ESC-2026-0042|3|4|5", "", 0, false},
		{"ESC-2026-0042", "", 0, false},
		{"ESC-2026-0042|", "", 0, false},
		{"|3", "", 0, false},
		{"ESC-2026-0042|-1", "", 0, false},
		{"ESC-2026-0042|3x", "", 0, false},
		{"", "", 0, false},
	}
	for _, c := range cases {
		ref, stage, ok := ParseActionValue(c.v)
		if ok != c.ok || (ok && (ref != c.ref || stage != c.stage)) {
			t.Errorf("%q: %q %d %v", c.v, ref, stage, ok)
		}
	}
	for _, n := range []int{0, 1, 9, 10, 42, 1234567, -5} {
		if got := itoa(n); got != strconv.Itoa(n) {
			t.Errorf("itoa(%d) = %q", n, got)
		}
	}
}

func TestParseRef(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"ESC-2026-0042", "ESC-2026-0042", true},
		{" esc-2026-42 ", "ESC-2026-0042", true},
		{"Esc-2027-12345", "ESC-2027-12345", true},
		{"ESC-2026-0000", "", false},
		{"ESC-1999-0001", "", false},
		{"ESC-2026-42abc", "", false},
		{"ESC-2026-0042; DROP", "", false},
		{"ESC-2026-+5", "", false},
		{"ESC-2026- 5", "", false},
		{"ESC-202-0001", "", false},
		{"ESC-20260-001", "", false},
		{"ESC-2026", "", false},
		{"ESC-2026-", "", false},
		{"REF-2026-0001", "", false},
		{"2026-0001", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := ParseRef(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseRef(%q) = %q %v, want %q %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if FormatRef(2026, 7) != "ESC-2026-0007" {
		t.Errorf("FormatRef %q", FormatRef(2026, 7))
	}
}

// The chair or business team tag learning themes through a form that every
// platform renders; the themes are split and recorded.
func TestLearningThemesForm(t *testing.T) {
	c := atStage(t, 4)
	c.do(Command{Kind: CmdResolve, Actor: chair, At: c.d.UpdatedAt.Add(time.Hour), Proposal: &Proposal{Outcome: secretAgreed}})
	f, ok := ActionForm(c.env, c.d, ActLearning)
	if !ok || f.Kind != FormLearning || len(f.Fields) != 1 || f.Fields[0].Name != FieldThemes {
		t.Fatalf("learning form: %+v", f)
	}
	if err := CheckAction(c.env, c.d, c.hist, bt, ActLearning, c.d.Stage); err != nil {
		t.Fatalf("the business team may tag themes: %v", err)
	}
	if err := CheckAction(c.env, c.d, c.hist, sw, ActLearning, c.d.Stage); err == nil {
		t.Error("a practitioner may not tag themes")
	}
	cmd, err := CommandFromForm(FormLearning, c.d.Stage, Values{FieldThemes: {"threshold understanding, information sharing;drift"}})
	if err != nil {
		t.Fatal(err)
	}
	cmd.Actor, cmd.At = bt, c.d.UpdatedAt.Add(time.Hour)
	res := c.do(cmd)
	if got := strings.Join(res.Dispute.Themes, "|"); got != "threshold understanding|information sharing|drift" {
		t.Errorf("themes: %q", got)
	}
}

func TestDoneLabelSaysWhatTheClickDid(t *testing.T) {
	cases := map[string]string{
		DoneLabel(ActConfirm, ""):            "You confirmed the resolution",
		DoneLabel(ActEscalate, FormEscalate): "You escalated the case",
		DoneLabel(ActLearning, FormLearning): "You tagged learning themes",
		DoneLabel(ActShow, ""):               "You acted",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

func TestRaiseFormOffersPeopleOnEmailOnly(t *testing.T) {
	env := newEnv(t)
	env.Directory.People = append(env.Directory.People, Person{ID: EmailUser("dsl@school.example.org"), Name: "Jo Head", Agency: env.Directory.Agencies[1].ID, Role: RolePractitioner})
	f := RaiseForm(env)
	var listed *FormField
	for i := range f.Fields {
		if f.Fields[i].Name == FieldResponderListed {
			listed = &f.Fields[i]
		}
	}
	if listed == nil || len(listed.Options) != 1 || listed.Options[0].Value != "email:dsl@school.example.org" || !strings.HasPrefix(listed.Options[0].Label, "Jo Head (") {
		t.Fatalf("the email-only people are not offered: %+v", listed)
	}
	for _, tc := range []struct {
		vals    Values
		want    UserID
		problem string
	}{
		{Values{FieldResponder: {"slack:U1"}}, "slack:U1", ""},
		{Values{FieldResponderListed: {"email:dsl@school.example.org"}}, "email:dsl@school.example.org", ""},
		{Values{FieldResponderEmail: {" New.Person@GP.example.org "}}, "email:new.person@gp.example.org", ""},
		{Values{FieldResponderEmail: {"not an address"}}, "", "Give a work email address, like name@agency.org"},
		{Values{FieldResponder: {"slack:U1"}, FieldResponderEmail: {"a@b.org"}}, "", "Name one person: from the list or by email address, not both"},
		{Values{FieldResponderListed: {"email:a@b.org"}, FieldResponderEmail: {"A@b.org"}}, "email:a@b.org", ""},
	} {
		in := ParseRaise(tc.vals)
		if in.Responder != tc.want || in.ResponderProblem != tc.problem {
			t.Errorf("%v: responder %q problem %q, want %q %q", tc.vals, in.Responder, in.ResponderProblem, tc.want, tc.problem)
		}
	}
	in := ParseRaise(Values{FieldResponderEmail: {"nope"}})
	if errs := in.Validate(env, "console:sw"); errs[FieldResponder] != "Give a work email address, like name@agency.org" {
		t.Errorf("a bad address is answered inline: %v", errs)
	}
}

// Where the directory lists nobody for a side and the policy lets anyone be
// named, the escalation form offers a box for a work address: the person
// named so holds that side, reached by email, and the record says who
// chose them. A typed address that is not one comes back on its field.
func TestEscalatingToSomeoneTheDirectoryLacksByEmail(t *testing.T) {
	env := newEnv(t)
	env.Policy.AnyoneWhereUnlisted = true
	in := raiseInput()
	in.ResponderAgency, in.Responder = agEdu, teacher
	c := newCase(t, env)
	c.do(raiseCmd(in, t0))
	f := mustForm(t, env, c.d, ActEscalate)
	box := field(t, f, FieldResponderHoldersAddress)
	if box.Type != FieldLine || !strings.Contains(box.Label, "line manager for West Sussex Education") {
		t.Errorf("the address box %+v", box)
	}
	if hasField(f, FieldRaiserHoldersAddress) {
		t.Error("an address box for a side the directory covers")
	}
	cmd, err := FormCommand(FormEscalate, 1, c.d.Version, Values{FieldText: {secretReason}, FieldRaiserHolders: {string(lmA)}, FieldResponderHoldersAddress: {"not an address"}})
	if err != nil {
		t.Fatal(err)
	}
	cmd.Actor, cmd.At = sw, t0.Add(time.Hour)
	if r := c.refused(cmd, RefuseInvalid); !strings.Contains(r.Fields[FieldResponderHolders], "is not a work email address") {
		t.Errorf("a bad address: %+v", r.Fields)
	}
	cmd, _ = FormCommand(FormEscalate, 1, c.d.Version, Values{FieldText: {secretReason}, FieldRaiserHolders: {string(lmA)}, FieldResponderHoldersAddress: {" Head@School.example "}})
	cmd.Actor, cmd.At = sw, t0.Add(time.Hour)
	res := c.do(cmd)
	if h := res.Dispute.Current(); !slices.Equal(h.Responder, []UserID{"email:head@school.example"}) {
		t.Fatalf("holders %+v", h)
	}
	if m := msgTo(t, res, "email:head@school.example"); !strings.Contains(m.Title, "escalated to you") {
		t.Errorf("the head is told %q", m.Title)
	}
	if ev := res.Events[len(res.Events)-1]; !strings.Contains(ev.Text, "chose") {
		t.Errorf("the record does not say who chose them: %q", ev.Text)
	}
	// Without the policy's leave, no box.
	env.Policy.AnyoneWhereUnlisted = false
	if hasField(mustForm(t, env, c.d, ActEscalate), FieldResponderHoldersAddress) {
		t.Error("an address box the policy does not allow")
	}
}
