package workflow

// People told who hold no stage: an agency's designated safeguarding
// adviser, the IRO or conference chair, the partnership chair for learning.
// The policy names them by role at the stage they are told (Stage.Tell);
// they are told with the case and its history, may add notes and read the
// record, and cannot act.

import (
	"fmt"
	"slices"
	"strings"
)

// toldAt is everyone stage st tells: the people with each Tell role in
// either side's agency (the chair: the partnership's).
func toldAt(dir *Directory, d *Dispute, st Stage) []UserID {
	var out []UserID
	for _, r := range st.Tell {
		if r == RoleChair {
			out = append(out, dir.Holders("", RoleChair)...)
			continue
		}
		out = append(out, dir.Holders(d.Raiser.Agency, r)...)
		out = append(out, dir.Holders(d.Responder.Agency, r)...)
	}
	return uniq(out)
}

// consult adds the people the stage being entered tells, who are not part
// of the case already.
func (a *applier) consult(st Stage) {
	d := a.d
	for _, u := range toldAt(a.env.Directory, d, st) {
		if u == SystemActor || d.IsInvolved(u) || contains(a.told, u) {
			continue
		}
		a.told = append(a.told, u)
		d.Consulted = append(d.Consulted, u)
	}
}

// toldNames is "Dana Lead (designated safeguarding lead, Sussex NHS)".
func (a *applier) toldNames() string {
	var names []string
	for _, u := range a.told {
		names = append(names, a.describe(u))
	}
	return strings.Join(names, ", ")
}

func (a *applier) describe(u UserID) string {
	dir := a.env.Directory
	p, ok := dir.Person(u)
	if !ok {
		return a.name(u)
	}
	what := []string{a.env.Policy.RoleLabel(p.Role)}
	if p.Agency != "" {
		what = append(what, dir.AgencyName(p.Agency))
	}
	return fmt.Sprintf("%s (%s)", a.name(u), strings.Join(slices.DeleteFunc(what, func(s string) bool { return s == "" }), ", "))
}

// tellConsulted sends the case to the people consulted at this stage, once
// the command's event is written (their history includes it).
func (a *applier) tellConsulted() {
	if len(a.told) == 0 {
		return
	}
	hist := a.historyWith()
	stage := a.env.Policy.StageName(a.d.Stage)
	for _, u := range a.told {
		role := "the policy asks for you to be told"
		if p, ok := a.env.Directory.Person(u); ok {
			role = "you are told as " + a.env.Policy.RoleLabel(p.Role)
		}
		m := a.dm(u, MsgConsulted, fmt.Sprintf("%s has reached %s: %s", a.d.Ref, stage, role),
			append([]string{fmt.Sprintf("It is held by %s. You can read the case and add notes; they act on it, and it must be resolved by %s.", a.names(a.d.Current().All()), a.when(a.d.Deadline))}, a.caseLines()...),
			a.actionsFor(u))
		m.History = hist
	}
	a.told = nil
}
