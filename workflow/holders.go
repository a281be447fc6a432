package workflow

import (
	"fmt"
	"strings"
)

// Who may hold what, decided here for Slack, Teams, email and the
// console alike:
//
//   - a stage's role on one side is held by someone the directory lists in
//     that side's agency (or in the agency that holds its stages, held_by)
//     with that role, or a manager's role of its tier or above (a named
//     nurse ranking with senior_manager holds a senior manager's stage, a
//     senior manager a line manager's);
//   - the chair's stage by one of the directory's chairs; a decider's
//     stage by the decider agency's holders of its role;
//   - where the directory lists nobody who could hold the role for that
//     agency, the policy may let the person escalating name anyone
//     (Policy.AnyoneWhereUnlisted): the record then says who chose whom;
//     otherwise nobody can be made to hold it until the directory lists
//     someone.
//
// A side whose holders include a platform group (a Slack user group) is
// held by the group's members, whom only the platform knows: a person the
// directory does not list otherwise is accepted there.

// MayHold reports whether the directory lists id as able to hold role for
// agency (directly, through held_by, or by a role of its tier or above).
func (d *Directory) MayHold(p *Policy, agency string, role Role, id UserID) bool {
	if role == RoleChair {
		return d.IsChair(id)
	}
	person, ok := d.Person(id)
	if !ok || !holdsLike(p, person.Role, role) {
		return false
	}
	if person.Agency == agency {
		return true
	}
	// The agency's stages above the practitioners may be held by a third
	// agency, unless it lists its own holder of the role.
	a, ok := d.Agency(agency)
	return ok && a.HeldBy != "" && a.HeldBy == person.Agency && role != RolePractitioner && !d.covers(p, agency, role, false)
}

// holdsLike: a person of role has may hold a stage of role want: the
// same role, or a manager's role of the same tier or above (a senior
// manager stands in for a line manager; a named nurse ranking with
// senior_manager holds a senior manager's stage). Practitioners and the
// chair hold only their own.
func holdsLike(p *Policy, has, want Role) bool {
	if has == want {
		return true
	}
	if has == RolePractitioner || has == RoleChair || want == RolePractitioner || want == RoleChair || has == "" {
		return false
	}
	return p.KnownRole(has) && p.KnownRole(want) && p.rank(has) >= p.rank(want)
}

// covers reports whether the directory lists someone who could hold role
// for agency; heldBy counts the agency that holds its stages too.
func (d *Directory) covers(p *Policy, agency string, role Role, heldBy bool) bool {
	if role == RoleChair {
		return len(d.Chair) > 0
	}
	for _, person := range d.People {
		if person.Agency == agency && holdsLike(p, person.Role, role) {
			return true
		}
	}
	if a, ok := d.Agency(agency); heldBy && ok && a.HeldBy != "" && role != RolePractitioner {
		return d.covers(p, a.HeldBy, role, false)
	}
	return false
}

// Covers reports whether the directory lists anyone who could hold role
// for agency.
func (d *Directory) Covers(p *Policy, agency string, role Role) bool {
	return d.covers(p, agency, role, true)
}

// hasGroup reports whether the directory's holders of role for agency
// include a platform group.
func (d *Directory) hasGroup(agency string, role Role) bool {
	for _, id := range d.Holders(agency, role) {
		if id.Platform() == "slackgroup" {
			return true
		}
	}
	return false
}

// whyNot says why id cannot hold role for agency, naming them: "Sam
// Social Worker is a practitioner in Children's Social Care, not a line
// manager".
func (d *Directory) whyNot(p *Policy, agency string, role Role, id UserID, name string) string {
	want := p.RoleLabel(role)
	if role == RoleChair {
		return fmt.Sprintf("%s is not a chair of the partnership in the directory", name)
	}
	person, ok := d.Person(id)
	switch {
	case !ok:
		return fmt.Sprintf("%s is not in the directory as a %s for %s", name, want, d.AgencyName(agency))
	case person.Role == "" || person.Role == RoleChair:
		return fmt.Sprintf("%s holds no role in %s's stages", name, d.AgencyName(agency))
	case person.Agency != agency && holdsLike(p, person.Role, role):
		return fmt.Sprintf("%s is in %s, not %s", name, d.AgencyName(person.Agency), d.AgencyName(agency))
	case person.Agency != agency:
		return fmt.Sprintf("%s is a %s in %s, not a %s for %s", name, p.RoleLabel(person.Role), d.AgencyName(person.Agency), want, d.AgencyName(agency))
	}
	return fmt.Sprintf("%s is a %s in %s, not a %s", name, p.RoleLabel(person.Role), d.AgencyName(agency), want)
}

// checkChosen checks the people chosen to hold stage n: every one must be
// able to hold their side's role in their side's agency. It returns the
// field problems (nil when all may hold it) and, for sides the directory
// does not cover where the policy lets anyone be named, a line for the
// record saying who chose whom.
func (a *applier) checkChosen(n int, chosen *StageHolders) (problems map[string]string, recorded []string) {
	if chosen == nil {
		return nil, nil
	}
	p, dir, st := a.env.Policy, a.env.Directory, a.env.Policy.Stage(n)
	type side struct {
		side   Side
		field  string
		agency string
		role   Role
		people []UserID
	}
	var sides []side
	switch {
	case st.Role == RoleChair:
		sides = []side{{SideChair, FieldRaiserHolders, "", RoleChair, people(chosen, SideChair)}}
	case st.Final == FinalDecider:
		sides = []side{{SideChair, FieldRaiserHolders, st.DeciderAgency, st.Role, people(chosen, SideChair)}}
	case st.Role == RolePractitioner:
		return nil, nil // the two who disagree hold it, not whoever is named
	default:
		sides = []side{
			{SideRaiser, FieldRaiserHolders, a.d.Raiser.Agency, st.RoleOn(SideRaiser), people(chosen, SideRaiser)},
			{SideResponder, FieldResponderHolders, a.d.Responder.Agency, st.RoleOn(SideResponder), people(chosen, SideResponder)},
		}
	}
	for _, s := range sides {
		if len(s.people) == 0 {
			continue
		}
		if bad := badAddresses(s.people); len(bad) > 0 {
			if problems == nil {
				problems = map[string]string{}
			}
			problems[s.field] = fmt.Sprintf("%s is not a work email address: give one like name@agency.org", strings.Join(bad, ", "))
			continue
		}
		if !dir.Covers(p, s.agency, s.role) {
			if p.AnyoneWhereUnlisted && s.role != RoleChair {
				recorded = append(recorded, fmt.Sprintf("%s chose %s to hold %s as %s for %s: the directory lists nobody who could",
					a.name(a.cmd.Actor), a.names(s.people), p.StageName(n), p.RoleLabel(s.role), dir.AgencyName(s.agency)))
				continue
			}
			if problems == nil {
				problems = map[string]string{}
			}
			who := "no " + p.RoleLabel(s.role) + " for " + dir.AgencyName(s.agency)
			if s.role == RoleChair {
				who = "no chair of the partnership"
			}
			problems[s.field] = fmt.Sprintf("The directory lists %s, so nobody can be named to hold %s; ask the business team to add them to the directory", who, p.StageName(n))
			continue
		}
		if dir.hasGroup(s.agency, s.role) {
			continue // a group's members are the platform's to say
		}
		var why []string
		for _, u := range s.people {
			if !dir.MayHold(p, s.agency, s.role, u) {
				why = append(why, dir.whyNot(p, s.agency, s.role, u, a.name(u)))
			}
		}
		if len(why) > 0 {
			if problems == nil {
				problems = map[string]string{}
			}
			problems[s.field] = strings.Join(why, "; ") + fmt.Sprintf(": choose a %s for %s", p.RoleLabel(s.role), dir.SideName(s.agency, s.role))
		}
	}
	return problems, recorded
}

// badAddresses are the typed addresses among people that are not addresses.
func badAddresses(people []UserID) []string {
	var bad []string
	for _, u := range people {
		if u.Platform() == "email" {
			if _, ok := NormalEmail(u.Local()); !ok {
				bad = append(bad, fmt.Sprintf("%q", u.Local()))
			}
		}
	}
	return bad
}

// Gap is a stage role the directory lists nobody to hold for an agency.
type Gap struct {
	Agency string // "" for the partnership chair
	Stage  int
	Route  string // "" for the policy's main route
	Role   Role
}

// Describe says the gap in a sentence for the people who fix it: the
// agency (or the partnership), the stage and the role nobody holds.
func (g Gap) Describe(p *Policy, d *Directory) string {
	stage := p.StageName(g.Stage)
	if g.Route != "" {
		stage = fmt.Sprintf("stage %d of the route %q", g.Stage, g.Route)
	}
	if g.Role == RoleChair {
		return "The partnership: nobody chairs it, so nobody could hold " + stage + "."
	}
	return fmt.Sprintf("%s: nobody could hold %s as %s.", d.AgencyName(g.Agency), stage, p.RoleLabel(g.Role))
}

// Gaps lists, per agency and each stage's role on either side, where the
// directory lists nobody who could hold the stage (the practitioners'
// stage is held by the two who disagree and is never a gap).
func Gaps(p *Policy, d *Directory) []Gap {
	var gaps []Gap
	check := func(route string, stages []Stage) {
		for i, st := range stages {
			n := i + 1
			switch {
			case st.Role == RolePractitioner:
				continue
			case st.Role == RoleChair:
				if len(d.Chair) == 0 {
					gaps = append(gaps, Gap{Stage: n, Route: route, Role: RoleChair})
				}
				continue
			case st.Final == FinalDecider && st.DeciderAgency != "":
				if !d.Covers(p, st.DeciderAgency, st.Role) {
					gaps = append(gaps, Gap{Agency: st.DeciderAgency, Stage: n, Route: route, Role: st.Role})
				}
				continue
			}
			for _, a := range d.Agencies {
				seen := map[Role]bool{}
				for _, side := range []Side{SideRaiser, SideResponder} {
					r := st.RoleOn(side)
					if seen[r] {
						continue
					}
					seen[r] = true
					if !d.Covers(p, a.ID, r) {
						gaps = append(gaps, Gap{Agency: a.ID, Stage: n, Route: route, Role: r})
					}
				}
			}
		}
	}
	check("", p.Stages)
	for _, r := range p.Routes {
		if len(r.Stages) > 0 {
			check(r.ID, r.Stages)
		}
	}
	return gaps
}

// parties are the two agencies of a raise: the directory's for each of
// the raiser and the other practitioner it knows (with an agency), so the
// form need not ask; the form's for people it does not know.
func (in RaiseInput) parties(dir *Directory, actor UserID) (raiser, responder string) {
	raiser, responder = in.RaiserAgency, in.ResponderAgency
	if me, ok := dir.Person(actor); ok && me.Agency != "" && raiser == "" {
		raiser = me.Agency
	}
	if them, ok := dir.Person(in.Responder); ok && in.Responder != "" && them.Agency != "" && responder == "" {
		responder = them.Agency
	}
	return raiser, responder
}

// partyProblems: a form whose agencies contradict the directory. The
// raiser's agency is the directory's when it knows them; the other
// practitioner, when it knows them, must be of the other agency.
func (in RaiseInput) partyProblems(dir *Directory, actor UserID) map[string]string {
	errs := map[string]string{}
	if me, ok := dir.Person(actor); ok && me.Agency != "" && in.RaiserAgency != "" && in.RaiserAgency != me.Agency {
		if _, known := dir.Agency(in.RaiserAgency); known {
			errs[FieldRaiserAgency] = fmt.Sprintf("The directory has you in %s: choose it (the business team can correct the directory)", dir.AgencyName(me.Agency))
		}
	}
	if in.Responder != "" && in.Responder != actor {
		if them, ok := dir.Person(in.Responder); ok && them.Agency != "" && in.ResponderAgency != "" && in.ResponderAgency != them.Agency {
			if _, known := dir.Agency(in.ResponderAgency); known {
				errs[FieldResponder] = fmt.Sprintf("%s is in %s, not %s: choose %s as the other agency, or the practitioner you disagree with in %s",
					them.Name, dir.AgencyName(them.Agency), dir.AgencyName(in.ResponderAgency), dir.AgencyName(them.Agency), dir.AgencyName(in.ResponderAgency))
			}
		}
	}
	return errs
}
