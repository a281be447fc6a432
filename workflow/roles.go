package workflow

// Roles a partnership defines, and a role per side: most protocols hand a
// stage to different people on each side (the raiser's team manager, the
// school's designated safeguarding lead), and many name roles that are not
// line management (named nurse, IRO, service manager). The built-in roles
// stay; a policy adds its own beside them, each ranking with a built-in one
// so that stages can still be checked to climb.

import (
	"fmt"
	"slices"
	"strings"
)

// RoleDef is a role a policy defines.
type RoleDef struct {
	ID    Role   `yaml:"id" json:"id"`
	Label string `yaml:"label" json:"label"`
	// RanksWith is the built-in role it sits beside in the order of
	// stages (a designated safeguarding lead with senior_manager, say).
	RanksWith Role `yaml:"ranks_with" json:"ranks_with"`
}

// RoleOn is the role that holds stage s on one side: the side's own role
// when the stage names one, else the stage's role.
func (s Stage) RoleOn(side Side) Role {
	switch {
	case side == SideRaiser && s.RaiserRole != "":
		return s.RaiserRole
	case side == SideResponder && s.ResponderRole != "":
		return s.ResponderRole
	}
	return s.Role
}

// KnownRole reports whether r is a built-in role or one the policy defines.
func (p *Policy) KnownRole(r Role) bool {
	return r.Valid() || p.roleDef(r) != nil
}

func (p *Policy) roleDef(r Role) *RoleDef {
	if p == nil {
		return nil
	}
	for i := range p.Roles {
		if p.Roles[i].ID == r {
			return &p.Roles[i]
		}
	}
	return nil
}

// RoleLabel is the role as people say it: the policy's words for its own
// roles, the built-in label otherwise.
func (p *Policy) RoleLabel(r Role) string {
	if d := p.roleDef(r); d != nil && d.Label != "" {
		return d.Label
	}
	return r.Label()
}

// RoleNames lists every role a directory entry may hold under p, built-in
// first.
func (p *Policy) RoleNames() []string {
	var names []string
	for _, r := range Roles {
		names = append(names, string(r))
	}
	if p != nil {
		for _, d := range p.Roles {
			names = append(names, string(d.ID))
		}
	}
	return names
}

// StageRoles says who holds stage n: "line manager", or, when the sides
// differ, "team manager (the raiser's side) and designated safeguarding
// lead (the other side)".
func (p *Policy) StageRoles(n int) string {
	s := p.Stage(n)
	r, o := s.RoleOn(SideRaiser), s.RoleOn(SideResponder)
	if r == o {
		return p.RoleLabel(r)
	}
	return fmt.Sprintf("%s (the raiser's side) and %s (the other side)", p.RoleLabel(r), p.RoleLabel(o))
}

// rank orders roles for the climb of stages: a defined role ranks with its
// built-in one.
func (p *Policy) rank(r Role) int {
	if d := p.roleDef(r); d != nil {
		r = d.RanksWith
	}
	return tier(r)
}

// UsesRole reports whether some stage of p is held by r on some side.
func (p *Policy) UsesRole(r Role) bool {
	return slices.ContainsFunc(p.Stages, func(s Stage) bool { return s.RoleOn(SideRaiser) == r || s.RoleOn(SideResponder) == r })
}

func (p *Policy) validateRoles(add func(path, format string, a ...any)) {
	seen := map[Role]int{}
	for i, d := range p.Roles {
		path := fmt.Sprintf("roles[%d]", i)
		switch id := string(d.ID); {
		case id == "":
			add(path+".id", "is required (e.g. designated_safeguarding_lead)")
		case strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789_") != "":
			add(path+".id", "must be lower-case letters, digits and underscores, not %q", id)
		case d.ID.Valid():
			add(path+".id", "%q is a built-in role already", id)
		default:
			if j, dup := seen[d.ID]; dup {
				add(path+".id", "%q is already defined by roles[%d]", id, j)
			}
			seen[d.ID] = i
		}
		if strings.TrimSpace(d.Label) == "" {
			add(path+".label", "is required: the role as people say it")
		}
		switch d.RanksWith {
		case RolePractitioner, RoleChair:
			add(path+".ranks_with", "must be a manager's role (line_manager, senior_manager, head_of_service or head_of_safeguarding): practitioners and the chair are the policy's own")
		case RoleLineManager, RoleSeniorManager, RoleHeadOfService, RoleHeadOfSafeguarding:
		default:
			add(path+".ranks_with", "must be one of line_manager, senior_manager, head_of_service, head_of_safeguarding; not %q", d.RanksWith)
		}
	}
}

// validateSideRoles checks stage i's roles: a known role on each side, and
// per-side roles only where there are sides to differ.
func (p *Policy) validateSideRoles(i int, s Stage, add func(path, format string, a ...any)) {
	path := fmt.Sprintf("stages[%d]", i)
	for _, sr := range []struct {
		key  string
		role Role
	}{{"raiser_role", s.RaiserRole}, {"responder_role", s.ResponderRole}} {
		switch {
		case sr.role == "":
		case s.Role == RolePractitioner || s.Role == RoleChair:
			add(path+"."+sr.key, "a stage held by the %s has no per-side roles", s.Role.Label())
		case sr.role == RolePractitioner || sr.role == RoleChair:
			add(path+"."+sr.key, "must be a manager's role or one the policy defines, not %s", sr.role)
		case !p.KnownRole(sr.role):
			add(path+"."+sr.key, "unknown role %q; use one of %s", sr.role, strings.Join(p.RoleNames(), ", "))
		}
	}
	p.validateTell(path+".tell", s.Tell, add)
	if i > 0 {
		prev := p.Stages[i-1]
		for _, side := range []Side{SideRaiser, SideResponder} {
			r, pr := s.RoleOn(side), prev.RoleOn(side)
			if r == s.Role && pr == prev.Role {
				continue // both stages' own roles: checked with the stage's role
			}
			if p.KnownRole(r) && p.KnownRole(pr) && p.rank(r) < p.rank(pr) {
				add(path+"."+map[Side]string{SideRaiser: "raiser_role", SideResponder: "responder_role"}[side],
					"%s is a lower tier than the previous stage's %s on that side", r, pr)
			}
		}
	}
}

// validateTell checks a list of roles to tell, at path.
func (p *Policy) validateTell(path string, tell []Role, add func(path, format string, a ...any)) {
	for j, r := range tell {
		switch {
		case r == RolePractitioner:
			add(fmt.Sprintf("%s[%d]", path, j), "practitioners are not told by role (every practitioner of both agencies would get the case); name an adviser's role")
		case !p.KnownRole(r):
			add(fmt.Sprintf("%s[%d]", path, j), "unknown role %q; use one of %s", r, strings.Join(p.RoleNames(), ", "))
		case slices.Contains(tell[:j], r):
			add(fmt.Sprintf("%s[%d]", path, j), "%s is told already", r)
		}
	}
}
