package config

import (
	"slices"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// Trying a partnership's own policy in the practice console: its file
// lists real people by their Slack or Teams ids, whom the console cannot
// play and nothing in practice can reach. StandIns puts practice people in
// their place: the file's own console people stay, and every agency gets a
// stand-in for each role a case can reach there that none of them holds,
// with the chair and a business-team officer when the file lists none the
// console can play. Names are the agency's and the role's, so every message
// says whom it stands for.

// StandIns readies the directory for the practice console and returns the
// stand-ins it added. It does nothing unless the console runs (no chat
// platform) on a directory of the partnership's own file; the built-in
// practice directory needs none.
func (c *Config) StandIns() []workflow.Person {
	if !c.Practice() || !c.fileDirectory || c.Policy == nil {
		return nil
	}
	d := &c.Directory
	console := func(id workflow.UserID) bool { return id.Platform() == platformConsole }
	var people []workflow.Person
	for _, p := range d.People {
		if console(p.ID) {
			people = append(people, p)
		}
	}
	d.People = people
	d.Chair = slices.DeleteFunc(d.Chair, func(id workflow.UserID) bool { return !console(id) })
	d.BusinessTeam = slices.DeleteFunc(d.BusinessTeam, func(id workflow.UserID) bool { return !console(id) })

	holds := func(agency string, r workflow.Role) bool {
		return slices.ContainsFunc(d.People, func(p workflow.Person) bool { return p.Agency == agency && p.Role == r })
	}
	var added []workflow.Person
	add := func(p workflow.Person) {
		d.People = append(d.People, p)
		added = append(added, p)
	}
	roles := practiceRoles(c.Policy)
	for _, a := range d.Agencies {
		for _, r := range roles {
			// Above its practitioners an agency held by another is held
			// there (an ICB for a GP practice).
			if r == workflow.RoleChair || (a.HeldBy != "" && r != workflow.RolePractitioner) || holds(a.ID, r) {
				continue
			}
			add(workflow.Person{ID: workflow.UserID(platformConsole + ":" + a.ID + "-" + strings.ReplaceAll(string(r), "_", "-")),
				Name: capitalise(c.Policy.RoleLabel(r)) + " at " + a.Name, Agency: a.ID, Role: r})
		}
	}
	if slices.Contains(roles, workflow.RoleChair) && len(d.Chair) == 0 {
		p := workflow.Person{ID: platformConsole + ":practice-chair", Name: "Practice partnership chair", Role: workflow.RoleChair}
		add(p)
		d.Chair = append(d.Chair, p.ID)
	}
	if len(d.BusinessTeam) == 0 {
		p := workflow.Person{ID: platformConsole + ":practice-business-team", Name: "Practice business team officer"}
		add(p)
		d.BusinessTeam = append(d.BusinessTeam, p.ID)
	}
	return added
}

// practiceRoles are the roles a case can reach under p, on any route: the
// practitioner, every stage's holders on each side, and those told.
func practiceRoles(p *workflow.Policy) []workflow.Role {
	var roles []workflow.Role
	add := func(rs ...workflow.Role) {
		for _, r := range rs {
			if r != "" && !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	add(workflow.RolePractitioner)
	stages := slices.Clone(p.Stages)
	for _, rt := range p.Routes {
		stages = append(stages, rt.Stages...)
	}
	for _, s := range stages {
		add(s.RoleOn(workflow.SideRaiser), s.RoleOn(workflow.SideResponder))
		add(s.Tell...)
	}
	add(p.ImmediateRiskTell...)
	return roles
}

// capitalise is s with its first letter in upper case.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
