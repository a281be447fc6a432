package workflow

import (
	"fmt"
	"strconv"
	"strings"
)

// Field names shared by every form renderer and parser.
const (
	FieldSubjectType      = "subject_type"
	FieldSubjectRef       = "subject_ref"
	FieldCategory         = "category"
	FieldDecision         = "decision"
	FieldDecisionDate     = "decision_date"
	FieldPlan             = "plan"
	FieldDisagreement     = "disagreement"
	FieldOutcomeSought    = "outcome_sought"
	FieldEvidence         = "evidence"
	FieldRaiserAgency     = "raiser_agency"
	FieldResponderAgency  = "responder_agency"
	FieldResponder        = "responder"
	FieldResponderListed  = "responder_listed" // someone in the directory on email only
	FieldResponderEmail   = "responder_email"  // an address the directory lacks
	FieldImmediateRisk    = "immediate_risk"
	FieldStartStage       = "start_stage"
	FieldStartReason      = "start_reason"
	FieldText             = "text"
	FieldOutcome          = "outcome"
	FieldOutstanding      = "outstanding"
	FieldHowPursued       = "how_pursued"
	FieldRecordedOnFile   = "recorded_on_file"
	FieldRaiserHolders    = "raiser_holders"
	FieldResponderHolders = "responder_holders"
	// The holders on email only, chosen beside the platform's picker
	// (which lists only its own members).
	FieldRaiserHoldersEmail    = "raiser_holders_email"
	FieldResponderHoldersEmail = "responder_holders_email"
	// A work address typed for a side the directory lists nobody for,
	// where the policy lets anyone be named (Policy.AnyoneWhereUnlisted).
	FieldRaiserHoldersAddress    = "raiser_holders_address"
	FieldResponderHoldersAddress = "responder_holders_address"
	FieldPanel                   = "panel"
	FieldThemes                  = "themes"
	FieldCoRaisers               = "co_raisers"  // others who share the concern
	FieldToStage                 = "to_stage"    // escalate past optional stages
	FieldSkipReason              = "skip_reason" // why they are skipped
)

// FormKind names a form.
type FormKind string

const (
	FormRaise    FormKind = "raise"
	FormPropose  FormKind = "propose"  // Resolved: the agreed outcome
	FormEscalate FormKind = "escalate" // reason and next holders
	FormNote     FormKind = "note"
	FormReject   FormKind = "reject" // Not agreed: why
	FormWithdraw FormKind = "withdraw"
	FormResolve  FormKind = "resolve" // the chair's outcome
	FormPanel    FormKind = "panel"
	FormDebrief  FormKind = "debrief"
	FormLearning FormKind = "learning"
	FormDeadline FormKind = "deadline" // a sooner deadline for this stage
)

// FieldType is how a field is entered.
type FieldType string

const (
	FieldLine     FieldType = "line"     // one line of text
	FieldArea     FieldType = "area"     // several lines
	FieldSelect   FieldType = "select"   // one of Options
	FieldMulti    FieldType = "multi"    // several of Options
	FieldUser     FieldType = "user"     // one person (the platform's picker)
	FieldUsers    FieldType = "users"    // several people
	FieldDate     FieldType = "date"     // YYYY-MM-DD
	FieldCheckbox FieldType = "checkbox" // yes / no
)

// Option is one choice of a select.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FormField is one question.
type FormField struct {
	Name     string    `json:"name"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Hint     string    `json:"hint,omitempty"`
	Required bool      `json:"required,omitempty"`
	Options  []Option  `json:"options,omitempty"`
	Max      int       `json:"max,omitempty"`
	Value    string    `json:"value,omitempty"`
	Values   []string  `json:"values,omitempty"`
	// ImmediateRisk marks the questions that only matter when the raiser
	// says the child or adult is at risk of immediate harm.
	ImmediateRisk bool `json:"immediate_risk,omitempty"`
}

// Form is a platform-neutral form: a Slack modal, an Adaptive Card, an
// HTML form.
type Form struct {
	Kind   FormKind `json:"kind"`
	Title  string   `json:"title"`
	Submit string   `json:"submit"`
	Ref    string   `json:"ref,omitempty"`
	Stage  int      `json:"stage,omitempty"`
	// Version is the case version the form was drawn for: every adapter
	// carries it back (ExpectVersion), so a form submitted after the case
	// moved on materially is refused.
	Version int      `json:"version,omitempty"`
	Intro   []string `json:"intro,omitempty"`
	// Emergency is the partnership's emergency route, shown before
	// anything else when immediate risk is chosen.
	Emergency []string    `json:"emergency,omitempty"`
	Fields    []FormField `json:"fields"`
}

// Values is what a submitted form carries (user fields hold UserIDs).
type Values map[string][]string

// Get is the first value of a field, trimmed.
func (v Values) Get(name string) string {
	if len(v[name]) == 0 {
		return ""
	}
	return strings.TrimSpace(v[name][0])
}

// RaiseForm is the /escalate form.
func RaiseForm(env Env) Form {
	p, dir := env.Policy, env.Directory
	var subjects, cats, plans, agencies, stages []Option
	for _, s := range p.Subjects {
		subjects = append(subjects, Option{string(s), s.Label()})
	}
	for _, c := range Categories {
		if c.AdultOnly && !p.Covers(SubjectAdult) {
			continue
		}
		if c.Category == CatOwnManagement && !p.WithinAgency {
			continue // between agencies only: see Raise
		}
		l := c.Label
		if c.AdultOnly {
			l += " (adults)"
		}
		cats = append(cats, Option{string(c.Category), l})
	}
	for _, pl := range Plans {
		if pl.For != "" && !p.Covers(pl.For) {
			continue
		}
		plans = append(plans, Option{string(pl.Plan), pl.Label})
	}
	for _, a := range dir.Agencies {
		agencies = append(agencies, Option{a.ID, a.Name})
	}
	for i := range p.Stages {
		stages = append(stages, Option{strconv.Itoa(i + 1), p.StageName(i + 1)})
	}
	f := Form{Kind: FormRaise, Title: "Raise a disagreement", Submit: "Raise",
		Intro: []string{
			"For a professional disagreement about another agency's decision, action or inaction that you believe leaves a " + subjectWords(p) + " unsafe. Not for complaints, whistleblowing or concerns about a professional's conduct.",
			"Never type a name: use the agency's case number.",
		},
		Emergency: env.Emergency,
		Fields: []FormField{
			{Name: FieldSubjectType, Label: "Who is it about?", Type: FieldSelect, Required: true, Options: subjects},
			{Name: FieldSubjectRef, Label: "Case number", Type: FieldLine, Required: true, Max: 40, Hint: "The agency's case number. No names."},
			{Name: FieldCategory, Label: "What is it about?", Type: FieldSelect, Required: true, Options: cats},
			{Name: FieldPlan, Label: "Current plan", Type: FieldSelect, Options: plans},
			{Name: FieldDecision, Label: "The decision disputed", Type: FieldLine, Max: 300},
			{Name: FieldDecisionDate, Label: "Date of the decision", Type: FieldDate},
			{Name: FieldRaiserAgency, Label: "Your agency", Type: FieldSelect, Required: true, Options: agencies},
			{Name: FieldResponderAgency, Label: "The other agency", Type: FieldSelect, Required: true, Options: agencies},
			{Name: FieldResponder, Label: "The practitioner you disagree with", Type: FieldUser, Hint: "Or, for someone on email only, choose them below or give their address."},
			{Name: FieldDisagreement, Label: "What is the disagreement?", Type: FieldArea, Required: true, Max: MaxText, Hint: "Be specific about the difference in opinion."},
			{Name: FieldOutcomeSought, Label: "What outcome do you seek for the " + subjectWords(p) + "?", Type: FieldArea, Required: true, Max: MaxText},
			{Name: FieldEvidence, Label: "Evidence", Type: FieldArea, Required: true, Max: MaxText, Hint: "What your view rests on."},
			{Name: FieldImmediateRisk, Label: "The " + subjectWords(p) + " is at risk of immediate harm", Type: FieldCheckbox, Hint: "Use the emergency route first. You may then start at a later stage."},
			{Name: FieldStartStage, Label: "Stage to start at", Type: FieldSelect, Options: stages, Value: "1", ImmediateRisk: true},
			{Name: FieldStartReason, Label: "Why start at a later stage?", Type: FieldArea, Max: MaxText, ImmediateRisk: true},
		},
	}
	// People on no chat platform are not in any platform's user picker:
	// they are offered from the directory, and anyone else by address.
	at := 0
	for i, fl := range f.Fields {
		if fl.Name == FieldResponder {
			at = i + 1
		}
	}
	extra := []FormField{{Name: FieldResponderEmail, Label: "Or their work email address", Type: FieldLine, Max: 254, Hint: "For someone on neither Slack nor Teams: they are reached by email."}}
	if listed := emailPeople(dir); len(listed) > 0 {
		extra = append([]FormField{{Name: FieldResponderListed, Label: "Or someone on email only", Type: FieldSelect, Options: listed}}, extra...)
	}
	extra = append(extra, FormField{Name: FieldCoRaisers, Label: "Others who share this concern (optional)", Type: FieldUsers,
		Hint: "Professionals raising it with you: they hold the first stage with you and are told every step."})
	f.Fields = append(f.Fields[:at], append(extra, f.Fields[at:]...)...)
	if late, ok := lateReasonField(p); ok {
		// After the decision's date, which it is about.
		for i, fl := range f.Fields {
			if fl.Name == FieldDecisionDate {
				f.Fields = append(f.Fields[:i+1], append([]FormField{late}, f.Fields[i+1:]...)...)
				break
			}
		}
	}
	f.Fields = append(f.Fields, soonerFields(p.Stage(1).Window.String()+" at stage 1", subjectWords(p))...)
	f.answerSingle()
	return f
}

// emailPeople are the directory's practitioners reached by email alone, as
// choices: "Name (Agency)".
func emailPeople(dir *Directory) []Option {
	var out []Option
	for _, p := range dir.People {
		if p.ID.Platform() == "email" && (p.Role == RolePractitioner || p.Role == "") {
			out = append(out, Option{Value: string(p.ID), Label: p.Name + " (" + dir.AgencyName(p.Agency) + ")"})
		}
	}
	return out
}

// parseResponder is the one person the raise form names: from the
// platform's picker, the directory's email-only people, or an address.
func parseResponder(v Values) (UserID, string) {
	picked, listed, addr := v.Get(FieldResponder), v.Get(FieldResponderListed), v.Get(FieldResponderEmail)
	var ids []UserID
	if picked != "" {
		ids = append(ids, UserID(picked))
	}
	if listed != "" {
		ids = append(ids, UserID(listed))
	}
	if addr != "" {
		a, ok := NormalEmail(addr)
		if !ok {
			return "", "Give a work email address, like name@agency.org"
		}
		ids = append(ids, EmailUser(a))
	}
	for _, id := range ids[min(1, len(ids)):] {
		if id != ids[0] {
			return "", "Name one person: from the list or by email address, not both"
		}
	}
	if len(ids) == 0 {
		return "", ""
	}
	return ids[0], ""
}

func subjectWords(p *Policy) string {
	switch {
	case p.Covers(SubjectChild) && p.Covers(SubjectAdult):
		return "child or adult"
	case p.Covers(SubjectAdult):
		return "adult"
	}
	return "child"
}

// ParseRaise reads a submitted raise form. Validation is RaiseInput.Validate.
func ParseRaise(v Values) RaiseInput {
	stage, _ := strconv.Atoi(v.Get(FieldStartStage))
	risk := isYes(v.Get(FieldImmediateRisk))
	if !risk {
		stage = 1
	}
	responder, problem := parseResponder(v)
	return RaiseInput{
		ResponderProblem: problem,
		SubjectType:      SubjectType(v.Get(FieldSubjectType)), SubjectRef: v.Get(FieldSubjectRef),
		Category: Category(v.Get(FieldCategory)), Plan: PlanStatus(v.Get(FieldPlan)),
		DecisionDisputed: v.Get(FieldDecision), DecisionDate: Date(v.Get(FieldDecisionDate)),
		Disagreement: v.Get(FieldDisagreement), OutcomeSought: v.Get(FieldOutcomeSought), Evidence: v.Get(FieldEvidence),
		RaiserAgency: v.Get(FieldRaiserAgency), ResponderAgency: v.Get(FieldResponderAgency), Responder: responder,
		ImmediateRisk: risk, StartStage: stage, StartReason: v.Get(FieldStartReason), Sooner: parseSooner(v),
		LateReason: v.Get(FieldLateReason),
		CoRaisers:  userIDs(v[FieldCoRaisers]),
	}
}

func isYes(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", FieldImmediateRisk, FieldRecordedOnFile, FieldResolvedAtMeeting:
		return true
	}
	return false
}

// ActionForm is the form a button opens, or false when the button acts at
// once (Confirm, Show).
func ActionForm(env Env, d *Dispute, k ActionKind) (Form, bool) {
	env = env.forCase(d)
	base := Form{Ref: d.Ref, Stage: d.Stage, Version: d.Version}
	text := func(label, hint string) FormField {
		return FormField{Name: FieldText, Label: label, Type: FieldArea, Required: true, Max: MaxText, Hint: hint}
	}
	outcome := []FormField{
		{Name: FieldOutcome, Label: "Agreed outcome", Type: FieldArea, Required: true, Max: MaxText},
		{Name: FieldOutstanding, Label: "Outstanding issues", Type: FieldArea, Max: MaxText},
		{Name: FieldHowPursued, Label: "How they will be pursued", Type: FieldArea, Max: MaxText},
		{Name: FieldRecordedOnFile, Label: "Recorded on the " + d.SubjectType.short() + "'s file", Type: FieldCheckbox},
	}
	switch k {
	case ActResolved:
		base.Kind, base.Title, base.Submit = FormPropose, "Record the resolution", "Send for confirmation"
		// The form names its case: a person holding several must know which
		// one they are resolving.
		base.Intro = []string{fmt.Sprintf("This records how %s was resolved at %s. The other side will be asked to confirm it in writing, as the policy requires.", d.Ref, env.Policy.StageName(d.Stage))}
		base.Fields = outcome
	case ActResolve:
		base.Kind, base.Title, base.Submit = FormResolve, "Resolve as chair", "Resolve"
		if st := env.Policy.Stage(d.Stage); st.Final == FinalDecider {
			base.Title = "Resolve as " + env.Policy.RoleLabel(st.Role)
		}
		base.Intro = []string{fmt.Sprintf("This records the outcome of %s at %s. Everyone involved gets the written record.", d.Ref, env.Policy.StageName(d.Stage))}
		base.Fields = outcome
	case ActEscalate:
		p := env.Policy
		next := d.Stage + 1
		base.Kind, base.Title, base.Submit = FormEscalate, "Escalate to stage "+stageLabel(p, next), "Escalate"
		base.Intro = []string{fmt.Sprintf("%s goes to %s: %s.", d.Ref, p.StageName(next), p.StageRoles(next))}
		base.Fields = []FormField{text("Why escalate?", "What was tried and why it was not resolved.")}
		if next <= p.Last() {
			st := p.Stage(next)
			if st.Role == RoleChair {
				base.Fields = append(base.Fields, holderFields(env.Directory, FieldRaiserHolders, FieldRaiserHoldersEmail, "Chair", env.Directory.Holders("", RoleChair))...)
			} else if st.Final == FinalDecider {
				base.Fields = append(base.Fields, holderFields(env.Directory, FieldRaiserHolders, FieldRaiserHoldersEmail, p.RoleLabel(st.Role)+", "+env.Directory.AgencyName(st.DeciderAgency), env.Directory.Holders(st.DeciderAgency, st.Role))...)
			} else {
				base.Fields = append(base.Fields, holderFields(env.Directory, FieldRaiserHolders, FieldRaiserHoldersEmail, p.RoleLabel(st.RoleOn(SideRaiser))+", "+env.Directory.SideName(d.Raiser.Agency, st.RoleOn(SideRaiser)), env.Directory.Holders(d.Raiser.Agency, st.RoleOn(SideRaiser)))...)
				base.Fields = append(base.Fields, addressField(env, FieldRaiserHoldersAddress, d.Raiser.Agency, st.RoleOn(SideRaiser))...)
				base.Fields = append(base.Fields, holderFields(env.Directory, FieldResponderHolders, FieldResponderHoldersEmail, p.RoleLabel(st.RoleOn(SideResponder))+", "+env.Directory.SideName(d.Responder.Agency, st.RoleOn(SideResponder)), env.Directory.Holders(d.Responder.Agency, st.RoleOn(SideResponder)))...)
				base.Fields = append(base.Fields, addressField(env, FieldResponderHoldersAddress, d.Responder.Agency, st.RoleOn(SideResponder))...)
			}
			if to := skipTargets(p, d.Stage); len(to) > 1 {
				var opts []Option
				for _, n := range to {
					opts = append(opts, Option{strconv.Itoa(n), p.StageName(n)})
				}
				base.Fields = append(base.Fields,
					FormField{Name: FieldToStage, Label: "Escalate to", Type: FieldSelect, Options: opts, Value: strconv.Itoa(next),
						Hint: "The policy lets " + p.StageName(next) + " be skipped when it is not needed; the people holding a later stage come from the directory."},
					FormField{Name: FieldSkipReason, Label: "Why skip?", Type: FieldArea, Max: MaxText, Hint: "Needed when you skip a stage; it goes on the written record."})
			}
			base.Fields = append(base.Fields, soonerFields(st.Window.String(), d.SubjectType.short())...)
		}
	case ActMeeting, ActMeetingOutcome:
		return meetingForm(env, d, k, base)
	case ActRespond:
		if d.State == StateResolved {
			return afterResolutionForm(env, d, base)
		}
		r := env.Policy.Stage(d.Stage).Response
		if r == nil {
			return Form{}, false
		}
		base.Kind, base.Title, base.Submit = FormRespond, "Written response", "Send"
		base.Intro = []string{fmt.Sprintf("%s asks for %s by %s. It goes on the written record and to everyone holding %s.", env.Policy.StageName(d.Stage), r.what(), formatTime(d.ResponseDue, env.Calendar.Location()), d.Ref)}
		base.Fields = []FormField{text("Your response", "")}
	case ActDeadline:
		base.Kind, base.Title, base.Submit = FormDeadline, "Bring the deadline forward", "Set"
		base.Intro = []string{fmt.Sprintf("%s must be resolved by %s. A sooner working day, agreed between you or needed for the %s's safety, goes to everyone holding it.", d.Ref, formatTime(d.Deadline, env.Calendar.Location()), d.SubjectType.short())}
		base.Fields = soonerFields(env.Policy.Stage(d.Stage).Window.String(), d.SubjectType.short())
		base.Fields[0].Required, base.Fields[0].Label = true, "Resolve by"
		base.Fields[1].Required = true
	case ActNote:
		base.Kind, base.Title, base.Submit = FormNote, "Add a note", "Add"
		base.Fields = []FormField{text("Note", "It goes on the written record and to the people holding the case.")}
	case ActReject:
		base.Kind, base.Title, base.Submit = FormReject, "Not agreed", "Send"
		// The form shows the proposal it answers, so nobody rejects one
		// they have not read.
		if d.Proposal != nil {
			base.Intro = append([]string{"The proposed resolution:"}, proposalLines(*d.Proposal)...)
		}
		base.Fields = []FormField{text("What is not agreed, and why?", "")}
	case ActWithdraw:
		base.Kind, base.Title, base.Submit = FormWithdraw, "Withdraw", "Withdraw"
		base.Fields = []FormField{text("Why withdraw?", "")}
	case ActDebrief:
		base.Kind, base.Title, base.Submit = FormDebrief, "Debrief", "Record"
		base.Fields = []FormField{text("What would you share about how this went?", "The policies suggest a short debrief to keep good working relationships.")}
	case ActLearning:
		base.Kind, base.Title, base.Submit = FormLearning, "Learning themes", "Tag"
		base.Intro = []string{"Short labels for what this case teaches the partnership; they appear in the board report. No names or case details."}
		base.Fields = []FormField{{Name: FieldThemes, Label: "Themes, separated by commas", Type: FieldLine, Required: true, Max: 400, Hint: "e.g. threshold understanding, information sharing"}}
	case ActPanel:
		// The button of a case drawn before panels were meetings.
		return meetingForm(env, d, ActMeeting, base)
	default:
		return Form{}, false
	}
	return base, true
}

// holderFields are the questions naming who holds one side of the next
// stage: the platform's people picker, and beside it, when any of those who
// may hold it are on email only (whom no platform's picker lists), a
// choice of them, all chosen to begin with.
func holderFields(dir *Directory, name, emailName, label string, holders []UserID) []FormField {
	var chat, mail []UserID
	for _, u := range holders {
		if u.Platform() == "email" {
			mail = append(mail, u)
		} else {
			chat = append(chat, u)
		}
	}
	out := []FormField{{Name: name, Label: label, Type: FieldUsers, Values: ids(chat)}}
	if len(mail) > 0 {
		var opts []Option
		for _, u := range mail {
			opts = append(opts, Option{Value: string(u), Label: dir.Name(u) + " (by email)"})
		}
		out = append(out, FormField{Name: emailName, Label: label + ": on email only", Type: FieldMulti, Options: opts, Values: ids(mail),
			Hint: "People on neither Slack nor Teams: they are reached by email."})
	}
	return out
}

// addressField is a box for a work address, offered for a side whose
// agency the directory lists nobody for at this role, where the policy
// lets the person escalating name anyone (someone on email whom the
// directory lacks, a school's DSL, say).
func addressField(env Env, name, agency string, role Role) []FormField {
	if !env.Policy.AnyoneWhereUnlisted || env.Directory.Covers(env.Policy, agency, role) {
		return nil
	}
	return []FormField{{Name: name, Label: "Or the work email address of the " + env.Policy.RoleLabel(role) + " for " + env.Directory.AgencyName(agency),
		Type: FieldLine, Max: 254, Hint: "The directory lists nobody for this: they are reached by email, and the record says you chose them."}}
}

// typedAddress is the holder a typed address names. An address that is not
// one is kept as typed, so the holder check refuses it on its field.
func typedAddress(s string) []UserID {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if a, ok := NormalEmail(s); ok {
		return []UserID{EmailUser(a)}
	}
	return []UserID{EmailUser(strings.ToLower(s))}
}

func ids(u []UserID) []string {
	s := make([]string, len(u))
	for i, id := range u {
		s[i] = string(id)
	}
	return s
}

func userIDs(s []string) []UserID {
	var out []UserID
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, UserID(v))
		}
	}
	return out
}

// FormCommand turns a submitted follow-up form into a command that expects
// the case as the form was drawn (its stage and version), without Actor
// and At, which the adapter sets.
func FormCommand(kind FormKind, stage, version int, v Values) (Command, error) {
	c, err := CommandFromForm(kind, stage, v)
	c.ExpectVersion = version
	return c, err
}

// CommandFromForm turns a submitted follow-up form into a command (without
// Actor and At, which the adapter sets). Adapters use FormCommand, which
// also carries the version the form was drawn for.
func CommandFromForm(kind FormKind, stage int, v Values) (Command, error) {
	c := Command{ExpectStage: stage, Text: v.Get(FieldText)}
	prop := func() *Proposal {
		return &Proposal{Outcome: v.Get(FieldOutcome), Outstanding: v.Get(FieldOutstanding), HowPursued: v.Get(FieldHowPursued), RecordedOnFile: isYes(v.Get(FieldRecordedOnFile))}
	}
	switch kind {
	case FormPropose:
		c.Kind, c.Proposal = CmdPropose, prop()
	case FormResolve:
		c.Kind, c.Proposal = CmdResolve, prop()
	case FormEscalate:
		c.Kind, c.Sooner = CmdEscalate, parseSooner(v)
		c.ToStage, _ = strconv.Atoi(v.Get(FieldToStage))
		c.SkipReason = v.Get(FieldSkipReason)
		r := append(append(userIDs(v[FieldRaiserHolders]), userIDs(v[FieldRaiserHoldersEmail])...), typedAddress(v.Get(FieldRaiserHoldersAddress))...)
		s := append(append(userIDs(v[FieldResponderHolders]), userIDs(v[FieldResponderHoldersEmail])...), typedAddress(v.Get(FieldResponderHoldersAddress))...)
		if len(r)+len(s) > 0 {
			c.Holders = &StageHolders{Raiser: r, Responder: s, Chair: r}
		}
	case FormNote:
		c.Kind = CmdComment
	case FormReject:
		c.Kind = CmdReject
	case FormWithdraw:
		c.Kind = CmdWithdraw
	case FormDebrief:
		c.Kind = CmdDebrief
	case FormLearning:
		c.Kind = CmdLearning
		for _, v := range v[FieldThemes] {
			c.Themes = append(c.Themes, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ';' })...)
		}
	case FormDeadline:
		c.Kind, c.Sooner = CmdSetDeadline, parseSooner(v)
	case FormRespond:
		c.Kind = CmdRespond
	case FormMeeting, FormPanel:
		// A panel form drawn before panels were meetings carries its
		// agencies alone; the meeting's checks then ask for the rest.
		c.Kind = CmdConveneMeeting
		c.Meeting = &Meeting{On: Date(strings.TrimSpace(v.Get(FieldMeetingOn))), Attendees: userIDs(v[FieldAttendees]),
			Chair: UserID(strings.TrimSpace(v.Get(FieldMeetingChair))), Agencies: v[FieldPanel]}
	case FormMeetingResult:
		c.Kind, c.Proposal, c.MeetingResolved = CmdMeetingOutcome, &Proposal{Outcome: v.Get(FieldOutcome)}, isYes(v.Get(FieldResolvedAtMeeting))
	default:
		return c, fmt.Errorf("unknown form %q", kind)
	}
	return c, nil
}

// CommandForAction is the command a button runs at once (no form), if any.
//
// Deprecated: use CommandForValue, which also carries the proposal and
// version a Confirm was drawn for.
func CommandForAction(k ActionKind, stage int) (Command, bool) {
	return CommandForValue(k, ActionTarget{Stage: stage})
}

// CommandForValue is the command a button runs at once (no form), if any,
// from the button's parsed value.
func CommandForValue(k ActionKind, t ActionTarget) (Command, bool) {
	if k == ActConfirm {
		return Command{Kind: CmdConfirm, ExpectStage: t.Stage, ExpectProposal: t.Proposal, ExpectVersion: t.Version}, true
	}
	return Command{}, false
}

// DoneLabel is what a person is told their click did, shown where the
// buttons were, so a used message cannot be used twice.
func DoneLabel(kind ActionKind, form FormKind) string {
	switch {
	case kind == ActConfirm:
		return "You confirmed the resolution"
	case form == FormPropose:
		return "You sent a resolution for confirmation"
	case form == FormEscalate:
		return "You escalated the case"
	case form == FormNote:
		return "You added a note"
	case form == FormReject:
		return "You did not agree the proposed resolution"
	case form == FormWithdraw:
		return "You withdrew the case"
	case form == FormResolve:
		return "You resolved the case"
	case form == FormPanel:
		return "You convened a resolution panel"
	case form == FormDebrief:
		return "You recorded a debrief"
	case form == FormLearning:
		return "You tagged learning themes"
	case form == FormDeadline:
		return "You brought the deadline forward"
	case form == FormRespond:
		return "You sent the written response"
	case form == FormMeeting:
		return "You convened the meeting"
	case form == FormMeetingResult:
		return "You recorded the meeting's outcome"
	}
	return "You acted"
}
