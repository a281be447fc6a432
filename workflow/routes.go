package workflow

// Separate routes by category: some protocols send one kind of
// disagreement down its own path (dissent from a child protection
// conference decision follows its own appendix, with the conference chair
// and the IRO service's managers). A route is a list of stages of its own,
// chosen by the category at raise; everything else about the policy is
// shared. A case remembers its route, and every rule reads the policy
// through For, so the stages a case follows are its route's.

import (
	"fmt"
	"slices"
	"strings"
)

// Route is a path of its own for some categories.
type Route struct {
	ID         string     `yaml:"id" json:"id"`
	Name       string     `yaml:"name" json:"name"`
	Categories []Category `yaml:"categories" json:"categories"`
	Stages     []Stage    `yaml:"stages" json:"stages"`
	Source     string     `yaml:"source,omitempty" json:"source,omitempty"`
	// RaiseWithin is the route's own time limit on raising ("within 72
	// hours of the conference meeting"), in place of the policy's.
	RaiseWithin Window `yaml:"raise_within,omitempty" json:"raise_within,omitzero"`
}

// RouteFor is the route a category follows, or nil for the main one.
func (p *Policy) RouteFor(c Category) *Route {
	for i := range p.Routes {
		if slices.Contains(p.Routes[i].Categories, c) {
			return &p.Routes[i]
		}
	}
	return nil
}

// For is the policy case d follows: the policy with its route's stages in
// place of the main ones (the same policy for the main route).
func (p *Policy) For(d *Dispute) *Policy {
	if d == nil || d.Route == "" || p == nil {
		return p
	}
	for _, r := range p.Routes {
		if r.ID == d.Route {
			return p.OnRoute(r)
		}
	}
	return p
}

// ForCategory is the policy a raise of category c follows.
func (p *Policy) ForCategory(c Category) *Policy {
	if r := p.RouteFor(c); r != nil {
		return p.OnRoute(*r)
	}
	return p
}

// OnRoute is the policy with r's stages in place of the main ones.
func (p *Policy) OnRoute(r Route) *Policy {
	q := *p
	q.Stages, q.Routes = r.Stages, nil
	if r.RaiseWithin != (Window{}) {
		q.RaiseWithin = r.RaiseWithin
	}
	return &q
}

// forCase is env with the policy as case d follows it.
func (env Env) forCase(d *Dispute) Env {
	env.Policy = env.Policy.For(d)
	return env
}

// withRoute is env as a raise of category c follows it, and the route's id.
func (env Env) withRoute(c Category) (Env, string) {
	r := env.Policy.RouteFor(c)
	if r == nil {
		return env, ""
	}
	env.Policy = env.Policy.OnRoute(*r)
	return env, r.ID
}

// validateRoutes checks each route as a policy of its own stages.
func (p *Policy) validateRoutes(add func(path, format string, a ...any)) {
	seen := map[Category]string{}
	ids := map[string]bool{}
	for i, r := range p.Routes {
		path := fmt.Sprintf("routes[%d]", i)
		switch {
		case r.ID == "":
			add(path+".id", "is required (e.g. conference)")
		case ids[r.ID]:
			add(path+".id", "%q is listed twice", r.ID)
		}
		ids[r.ID] = true
		if r.Name == "" {
			add(path+".name", "is required: the route as people say it")
		}
		if len(r.Categories) == 0 {
			add(path+".categories", "name at least one category this route is for")
		}
		for j, c := range r.Categories {
			cp := fmt.Sprintf("%s.categories[%d]", path, j)
			switch {
			case c.Label() == string(c):
				add(cp, "unknown category %q", c)
			case seen[c] != "":
				add(cp, "%s already follows the route %q", c, seen[c])
			default:
				seen[c] = r.ID
			}
		}
		for _, e := range p.OnRoute(r).Validate() {
			if e.Path == "partnership" || e.Path == "subjects" || len(e.Path) > 8 && e.Path[:8] == "subjects" || e.Path == "immediate_risk_max_stage" ||
				strings.HasPrefix(e.Path, "raise_within") && r.RaiseWithin == (Window{}) {
				continue // the policy's own, reported once
			}
			add(path+"."+e.Path, "%s", e.Message)
		}
	}
}
