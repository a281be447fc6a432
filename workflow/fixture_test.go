package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The people of the test partnership. Ids mix platforms as a real
// deployment with Slack and Teams does.
const (
	sw       UserID = "slack:USW"        // practitioner, children's social care: raises the cases
	sw2      UserID = "slack:USW2"       // another practitioner of the same agency
	lmA      UserID = "slack:ULMA"       // line manager, children's social care
	smA      UserID = "slack:USMA"       // senior manager, children's social care
	hosA     UserID = "slack:UHOSA"      // head of service, children's social care
	hsgA     UserID = "slack:UHSGA"      // head of safeguarding, children's social care
	hv       UserID = "teams:29:hv"      // practitioner (health visitor), NHS: the cases are raised with her
	hv2      UserID = "teams:29:hv2"     // another health visitor
	lmB      UserID = "teams:29:lmb"     // line manager, NHS
	smB      UserID = "teams:29:smb"     // senior manager / named nurse, NHS
	hosB     UserID = "teams:29:hosb"    // head of service, NHS
	hsgB     UserID = "teams:29:hsgb"    // head of safeguarding, NHS
	chair    UserID = "slack:UCHAIR"     // partnership chair
	bt       UserID = "slack:UBT"        // business team
	stranger UserID = "slack:USTRANGER"  // a police officer with nothing to do with the cases
	unknown  UserID = "teams:29:unknown" // someone the directory does not know
	teacher  UserID = "slack:UTEACH"     // a teacher the directory does not list (education has nobody in it)
)

const (
	agCSC    = "csc"
	agNHS    = "nhs"
	agPolice = "police"
	agEdu    = "edu"
)

// Free text of the test cases. Every value carries "SECRET" so that a leak
// into a channel post is easy to see.
const (
	secretSubjectRef    = "CSC-4471-SECRETREF"
	secretDecision      = "SECRET-DECISION to close health visiting involvement"
	secretDisagreement  = "SECRET-DISAGREEMENT: the family still needs a health visitor"
	secretOutcomeSought = "SECRET-OUTCOME-SOUGHT: involvement continues for three months"
	secretEvidence      = "SECRET-EVIDENCE: two missed appointments and a home visit"
	secretStartReason   = "SECRET-START-REASON: bruising seen today"
	secretNote          = "SECRET-NOTE: spoke to the GP this morning"
	secretReason        = "SECRET-REASON: stage 1 talked for a day without agreement"
	secretAgreed        = "SECRET-AGREED: visits continue fortnightly"
	secretOutstanding   = "SECRET-OUTSTANDING: who chairs the next meeting"
	secretHowPursued    = "SECRET-HOW: the managers decide on Friday"
	secretReject        = "SECRET-REJECT: fortnightly is not enough"
	secretWithdraw      = "SECRET-WITHDRAW: the family moved out of the area"
	secretDebrief       = "SECRET-DEBRIEF: talking earlier would have helped"
	secretPanelNote     = "SECRET-PANEL-NOTE: education joins as a third agency"
)

const ref1 = "ESC-2026-0001"

var emergencyRoute = []string{
	"If a child is in immediate danger, call 999.",
	"Children's front door (MASH): 01403 229900, 09:00–17:00.",
	"Out of hours: the Out of Hours Service, 0330 222 6664.",
}

// testPolicy has the West Sussex shape: four stages, practitioner to chair,
// the chair resolving directly or convening a panel, 1 working day windows
// with a reminder 2 working hours before they close, the business team from
// stage 2 and told of every resolution.
func testPolicy() *Policy {
	st := func(label, name string, role Role, feed bool, final FinalAction) Stage {
		return Stage{Label: label, Name: name, Role: role, Window: Window{1, WorkingDays}, Remind: Window{2, WorkingHours}, NotifyBusinessTeam: feed, Final: final}
	}
	return &Policy{
		ID:          "west-sussex-test",
		Partnership: "West Sussex Safeguarding Children Partnership",
		Subjects:    []SubjectType{SubjectChild},
		Stages: []Stage{
			st("1", "Professional to professional", RolePractitioner, false, FinalNone),
			st("2", "Manager to manager", RoleLineManager, true, FinalNone),
			st("3", "Senior manager to senior manager", RoleSeniorManager, true, FinalNone),
			st("4", "Partnership chair", RoleChair, true, FinalChairOrPanel),
		},
		NotifyOnResolution: true,
	}
}

func testDirectory() *Directory {
	return &Directory{
		Agencies: []Agency{
			{ID: agCSC, Name: "Children's Social Care"},
			{ID: agNHS, Name: "Sussex Community NHS Trust"},
			{ID: agPolice, Name: "Sussex Police"},
			{ID: agEdu, Name: "West Sussex Education"},
		},
		People: []Person{
			{ID: sw, Name: "Sam Walker", Agency: agCSC, Role: RolePractitioner},
			{ID: sw2, Name: "Sue Webb", Agency: agCSC, Role: RolePractitioner},
			{ID: lmA, Name: "Lena Marsh", Agency: agCSC, Role: RoleLineManager},
			{ID: smA, Name: "Simon Moss", Agency: agCSC, Role: RoleSeniorManager},
			{ID: hosA, Name: "Hannah Olds", Agency: agCSC, Role: RoleHeadOfService},
			{ID: hsgA, Name: "Hari Singh", Agency: agCSC, Role: RoleHeadOfSafeguarding},
			{ID: hv, Name: "Harriet Vale", Agency: agNHS, Role: RolePractitioner},
			{ID: hv2, Name: "Hugo Vance", Agency: agNHS, Role: RolePractitioner},
			{ID: lmB, Name: "Laura Bell", Agency: agNHS, Role: RoleLineManager},
			{ID: smB, Name: "Sanjay Bhatt", Agency: agNHS, Role: RoleSeniorManager},
			{ID: hosB, Name: "Helen Brook", Agency: agNHS, Role: RoleHeadOfService},
			{ID: hsgB, Name: "Hassan Bari", Agency: agNHS, Role: RoleHeadOfSafeguarding},
			{ID: chair, Name: "Clare Hughes", Agency: "", Role: RoleChair},
			{ID: bt, Name: "Ben Taylor"},
			{ID: stranger, Name: "Stella Grant", Agency: agPolice, Role: RolePractitioner},
		},
		BusinessTeam: []UserID{bt},
		Chair:        []UserID{chair},
	}
}

func newEnv(t testing.TB, holidays ...string) Env {
	t.Helper()
	return Env{Policy: testPolicy(), Directory: testDirectory(), Calendar: newFakeCalendar(t, holidays...), Emergency: emergencyRoute}
}

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// lt is a London wall-clock time.
func lt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, london)
}

// t0 is Monday 2 March 2026, 10:00: a working morning well away from holidays
// and the clocks changing.
var t0 = lt(2026, 3, 2, 10, 0)

func raiseInput() *RaiseInput {
	return &RaiseInput{
		Ref: ref1, SubjectType: SubjectChild, SubjectRef: secretSubjectRef, Category: CatNeedForAction,
		DecisionDisputed: secretDecision, DecisionDate: "2026-02-27", Plan: PlanChildInNeed,
		Disagreement: secretDisagreement, OutcomeSought: secretOutcomeSought, Evidence: secretEvidence,
		ResponderAgency: agNHS, Responder: hv,
	}
}

func raiseCmd(in *RaiseInput, at time.Time) Command {
	return Command{Kind: CmdRaise, Actor: sw, At: at, Raise: in}
}

// tcase is a case under test: the dispute and its event log as the store
// would hold them, plus the timers it would have pending.
type tcase struct {
	t      testing.TB
	env    Env
	d      *Dispute
	hist   []Event
	timers map[string]Timer
	last   *Result
}

func newCase(t testing.TB, env Env) *tcase {
	return &tcase{t: t, env: env, timers: map[string]Timer{}}
}

// raised is a case raised by sw with hv at t0, at stage 1.
func raised(t testing.TB) *tcase {
	t.Helper()
	c := newCase(t, newEnv(t))
	c.do(raiseCmd(raiseInput(), t0))
	return c
}

// atStage is a case raised at t0 and escalated (by the current raiser-side
// holder, with the directory's holders) to stage n, an hour per step.
func atStage(t testing.TB, n int) *tcase {
	t.Helper()
	c := raised(t)
	for s := 2; s <= n; s++ {
		actor := c.d.Current().Raiser[0]
		c.do(Command{Kind: CmdEscalate, Actor: actor, At: c.d.UpdatedAt.Add(time.Hour), Text: secretReason, ExpectStage: s - 1})
	}
	return c
}

// do applies a command that must be accepted, checks what every accepted
// command must satisfy, and moves the case on.
func (c *tcase) do(cmd Command) *Result {
	c.t.Helper()
	res, err := c.try(cmd)
	if err != nil {
		c.t.Fatalf("%s by %s refused: %v", cmd.Kind, cmd.Actor, err)
	}
	return res
}

// try applies a command, checks the invariants of acceptance or refusal,
// and on acceptance moves the case on.
func (c *tcase) try(cmd Command) (*Result, error) {
	c.t.Helper()
	before, histBefore := snapshot(c.t, c.d), snapshot(c.t, c.hist)
	var clone *Dispute
	if c.d != nil {
		clone = c.d.Clone()
	}
	res, err := Apply(c.env, c.d, c.hist, cmd)
	// Apply is deterministic: the engine applies a command again after a
	// conflict, and the outbox recognises messages by their ids.
	if again, err2 := Apply(c.env, c.d, c.hist, cmd); !bytes.Equal(snapshot(c.t, res), snapshot(c.t, again)) || (err == nil) != (err2 == nil) {
		c.t.Fatalf("%s gave two different answers: %v / %v", cmd.Kind, err, err2)
	}
	// The engine reads the log only for the commands that need it: for
	// every other command the answer must not depend on it.
	if c.d != nil && !NeedsHistory(c.d, cmd) {
		if bare, err3 := Apply(c.env, c.d, nil, cmd); !bytes.Equal(snapshot(c.t, res), snapshot(c.t, bare)) || fmt.Sprint(err) != fmt.Sprint(err3) {
			c.t.Fatalf("%s depends on the case's history, but NeedsHistory says it does not: %v / %v", cmd.Kind, err, err3)
		}
	}
	if after := snapshot(c.t, c.d); !bytes.Equal(before, after) {
		c.t.Fatalf("%s changed the dispute it was given:\nbefore %s\nafter  %s", cmd.Kind, before, after)
	}
	if c.d != nil && !reflect.DeepEqual(c.d, clone) {
		c.t.Fatalf("%s changed the dispute it was given", cmd.Kind)
	}
	if after := snapshot(c.t, c.hist); !bytes.Equal(histBefore, after) {
		c.t.Fatalf("%s changed the history it was given", cmd.Kind)
	}
	if err != nil {
		var r *Refusal
		if !errors.As(err, &r) {
			c.t.Fatalf("%s returned %T %v, not a *Refusal", cmd.Kind, err, err)
		}
		if res != nil {
			c.t.Fatalf("%s refused but returned a result", cmd.Kind)
		}
		for _, p := range refusalProblems(c.env, r) {
			c.t.Errorf("%s refusal: %s", cmd.Kind, p)
		}
		return nil, err
	}
	for _, p := range acceptedProblems(c.env, c.d, cmd, res, allSecrets) {
		c.t.Errorf("%s: %s", cmd.Kind, p)
	}
	if res.ClearTimers {
		clear(c.timers)
	}
	for _, tm := range res.Timers {
		c.timers[tm.ID()] = tm
	}
	c.d = res.Dispute
	c.hist = append(c.hist, res.Events...)
	c.last = res
	return res, nil
}

// outsider reports whether u may not see the case: such a person gets
// UnknownCase and nothing else, whatever they try.
func (c *tcase) outsider(u UserID) bool {
	return c.d != nil && u != SystemActor && !CanView(c.d, c.env.Directory, u)
}

// refusedInside is refused for someone who may see the case; for an
// outsider it checks the one answer outsiders get (UnknownCase, byte for
// byte) and reports false, so the caller checks the message only inside.
func (c *tcase) refusedInside(cmd Command, code RefusalCode) (*Refusal, bool) {
	c.t.Helper()
	if c.outsider(cmd.Actor) {
		r := c.refused(cmd, RefuseUnknownCase)
		if want := UnknownCase(c.d.Ref); r.Code != want.Code || r.Message != want.Message || r.Fields != nil {
			c.t.Fatalf("%s by the outsider %s: %+v, want %+v", cmd.Kind, cmd.Actor, r, want)
		}
		return r, false
	}
	return c.refused(cmd, code), true
}

// refused applies a command that must be refused with code and returns the refusal.
func (c *tcase) refused(cmd Command, code RefusalCode) *Refusal {
	c.t.Helper()
	_, err := c.try(cmd)
	var r *Refusal
	if !errors.As(err, &r) {
		c.t.Fatalf("%s by %s accepted, want refusal %s", cmd.Kind, cmd.Actor, code)
	}
	if r.Code != code {
		c.t.Fatalf("%s by %s refused with %s (%q), want %s", cmd.Kind, cmd.Actor, r.Code, r.Message, code)
	}
	return r
}

func (c *tcase) timer(k TimerKind) Timer {
	c.t.Helper()
	for _, tm := range c.timers {
		if tm.Kind == k {
			return tm
		}
	}
	c.t.Fatalf("no %s timer pending; pending: %v", k, c.timers)
	return Timer{}
}

func snapshot(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// allSecrets is every free text the unit tests type.
var allSecrets = []string{secretSubjectRef, secretDecision, secretDisagreement, secretOutcomeSought, secretEvidence, secretStartReason,
	secretNote, secretReason, secretAgreed, secretOutstanding, secretHowPursued, secretReject, secretWithdraw, secretDebrief, secretPanelNote, secretLate}

// refusalProblems checks that a refusal is something a person can read.
func refusalProblems(env Env, r *Refusal) []string {
	var p []string
	m := r.Message
	switch {
	case len(strings.Fields(m)) < 3:
		p = append(p, fmt.Sprintf("message %q is not a sentence", m))
	case strings.Contains(m, "%!") || strings.Contains(m, "<nil>") || strings.Contains(m, "map[") || strings.Contains(m, "0x"):
		p = append(p, fmt.Sprintf("message %q has formatting debris", m))
	case strings.TrimSpace(m) != m || strings.HasSuffix(m, "."):
		p = append(p, fmt.Sprintf("message %q has stray spaces or a full stop the adapter adds", m))
	}
	// People are named, never shown as platform ids.
	for _, person := range env.Directory.People {
		if strings.Contains(m, string(person.ID)) {
			p = append(p, fmt.Sprintf("message %q shows the raw id %s", m, person.ID))
		}
	}
	if r.Code == "" {
		p = append(p, "no code")
	}
	if r.Code == RefuseInvalid || r.Code == RefuseNoHolders {
		for f, msg := range r.Fields {
			if f == "" || len(strings.Fields(msg)) < 2 {
				p = append(p, fmt.Sprintf("field %q: %q is no help", f, msg))
			}
		}
	}
	return p
}

// acceptedProblems checks what every accepted command must satisfy.
func acceptedProblems(env Env, old *Dispute, cmd Command, res *Result, secrets []string) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	if res == nil || res.Dispute == nil {
		return []string{"no dispute in the result"}
	}
	d := res.Dispute
	oldVersion, oldStage := 0, 0
	if old != nil {
		oldVersion, oldStage = old.Version, old.Stage
		if old.State.Closed() && !slices.Contains([]CommandKind{CmdDebrief, CmdLearning, CmdPurge}, cmd.Kind) && !afterCommand(old, cmd.Kind) {
			add("a closed case accepted %s", cmd.Kind)
		}
		if d == old {
			add("the result is the dispute it was given")
		}
	}
	if d.Version != oldVersion+1 {
		add("version %d → %d, want +1", oldVersion, d.Version)
	}
	if res.PrevVersion != oldVersion {
		add("PrevVersion %d, want %d", res.PrevVersion, oldVersion)
	}
	if len(res.Events) != 1 {
		add("%d events, want 1", len(res.Events))
	} else {
		e := res.Events[0]
		if e.Seq != d.Version || e.Kind != cmd.Kind || e.Actor != cmd.Actor || !e.At.Equal(cmd.At) || e.Ref != d.Ref || e.Stage != d.Stage {
			add("event %+v does not record the command (version %d, stage %d)", e, d.Version, d.Stage)
		}
		if e.ActorName != env.Directory.Name(cmd.Actor) {
			add("event actor name %q", e.ActorName)
		}
		for _, s := range secrets {
			if strings.Contains(e.Summary, s) {
				add("event summary %q carries free text", e.Summary)
			}
		}
		if strings.Contains(e.Summary, "SECRET") {
			add("event summary %q carries free text", e.Summary)
		}
	}
	if d.Stage < oldStage {
		add("stage went down %d → %d", oldStage, d.Stage)
	}
	if d.Stage < 1 || d.Stage > env.Policy.Last() {
		add("stage %d out of range", d.Stage)
	}
	if !d.UpdatedAt.Equal(cmd.At) {
		add("UpdatedAt %v, want %v", d.UpdatedAt, cmd.At)
	}
	if d.StageVersion < 1 || d.StageVersion > d.Version {
		add("stage version %d with version %d", d.StageVersion, d.Version)
	}
	if len(d.Holders) == 0 || d.Holders[len(d.Holders)-1].Stage != d.Stage || len(d.Current().All()) == 0 {
		add("nobody holds stage %d: %+v", d.Stage, d.Holders)
	}
	if d.State.Closed() {
		// A closed case keeps no timers, except those of the written
		// response its stage asks after resolution, while it is awaited.
		if d.ClosedAt.IsZero() || len(res.Timers) > 0 && !afterAwaited(d) || d.Proposal != nil {
			add("closed with ClosedAt %v, timers %v, proposal %v", d.ClosedAt, res.Timers, d.Proposal)
		}
		if old != nil && !old.State.Closed() && !res.ClearTimers {
			add("closing did not clear the timers")
		}
		for _, tm := range res.Timers {
			if tm.Kind != TimerAfterRemind && tm.Kind != TimerAfterDue {
				add("a closed case has a %s timer", tm.Kind)
			}
		}
	}
	if (d.State == StateProposed) != (d.Proposal != nil) {
		add("state %s with proposal %v", d.State, d.Proposal)
	}
	if d.Purged {
		for _, f := range d.FreeText() {
			if *f != "" {
				add("a purged case holds free text %q", *f)
			}
		}
	}
	for _, tm := range res.Timers {
		if tm.Ref != d.Ref || tm.Stage != d.Stage || tm.StageVersion != d.StageVersion || tm.Due.IsZero() {
			add("timer %+v is not for the case's stage (stage %d, stage version %d)", tm, d.Stage, d.StageVersion)
		}
		if !env.Calendar.IsWorkingTime(tm.Due) {
			add("timer %s due out of working time: %s", tm.Kind, tm.Due.In(london))
		}
	}
	ids := map[string]bool{}
	for _, m := range res.Messages {
		if ids[m.ID] {
			add("message id %s twice", m.ID)
		}
		ids[m.ID] = true
		if m.Ref != d.Ref || m.Title == "" || (m.To == "") != m.Feed {
			add("message %+v: a DM has To, a feed post Feed", m)
		}
		if strings.Contains(m.Title, "SECRET") {
			add("message title %q carries free text", m.Title)
		}
		if m.To == SystemActor {
			add("a message to the system actor")
		}
		for _, a := range m.Actions {
			if a.Ref != d.Ref || a.Stage != d.Stage {
				add("button %+v does not carry the case's stage %d", a, d.Stage)
			}
			// Every button drawn opens its form for the person it was sent to.
			if err := CheckAction(env, d, nil, m.To, a.Kind, a.Stage); err != nil {
				add("%s's %s button on a %s message is refused: %v", m.To, a.Kind, m.Kind, err)
			}
		}
		if m.Feed {
			p = append(p, feedLeaks(m, secrets)...)
			if m.Kind != MsgFeed || len(m.Actions) > 0 || len(m.History) > 0 || len(m.Lines) > 0 {
				add("feed message %+v carries lines, history or buttons", m)
			}
		}
	}
	return p
}

// feedLeaks reports any free text in a business-team feed post, anywhere
// in its JSON (HTML escaping off, so that no character hides a value).
func feedLeaks(m Message, secrets []string) []string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return []string{err.Error()}
	}
	js := buf.String()
	var p []string
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" && strings.Contains(js, s) {
			p = append(p, fmt.Sprintf("feed message carries free text %q: %s", s, js))
		}
	}
	if strings.Contains(js, "SECRET") {
		p = append(p, "feed message carries free text: "+js)
	}
	return p
}

// msgs renders the messages of a result for comparison:
// "teams:29:hv raised [resolved escalate note]" for a DM, "feed" for a feed post.
func msgs(res *Result) []string {
	var out []string
	for _, m := range res.Messages {
		if m.Feed {
			out = append(out, "feed")
			continue
		}
		var k []string
		for _, a := range m.Actions {
			k = append(k, string(a.Kind))
		}
		out = append(out, fmt.Sprintf("%s %s [%s]", m.To, m.Kind, strings.Join(k, " ")))
	}
	return out
}

func sameStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// msgTo is the one DM to u.
func msgTo(t testing.TB, res *Result, u UserID) Message {
	t.Helper()
	var found []Message
	for _, m := range res.Messages {
		if m.To == u {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d messages to %s, want 1: %q", len(found), u, msgs(res))
	}
	return found[0]
}

func feedOf(res *Result) []Message {
	var f []Message
	for _, m := range res.Messages {
		if m.Feed {
			f = append(f, m)
		}
	}
	return f
}

func fact(m Message, label string) (Fact, int) {
	var f Fact
	n := 0
	for _, k := range m.Facts {
		if k.Label == label {
			f, n = k, n+1
		}
	}
	return f, n
}

func timerList(res *Result) []string {
	var out []string
	for _, tm := range res.Timers {
		out = append(out, fmt.Sprintf("%s %d@%d %s", tm.Kind, tm.Stage, tm.StageVersion, tm.Due.In(london).Format("Mon 2 Jan 15:04")))
	}
	return out
}

// panelOn gives a command convening the chair's resolution panel what a
// meeting needs besides its agencies: its day (the stage's deadline's) and
// who attends (the chair).
func panelOn(c *tcase, cmd Command) Command {
	day := Date(c.d.Deadline.In(c.env.Calendar.Location()).Format(time.DateOnly))
	cmd.Meeting = &Meeting{On: day, Attendees: []UserID{chair}}
	return cmd
}
