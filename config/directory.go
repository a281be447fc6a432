package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// Platform prefixes of workflow.UserID.
const (
	platformSlack      = "slack"
	platformTeams      = "teams"
	platformConsole    = "console"
	platformSlackGroup = "slackgroup"
	platformEntraGroup = "entragroup"
	platformEmail      = "email"
)

var (
	slackUserPattern  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackGroupPattern = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	teamsAADPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	consolePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
)

// validSlackID reports whether s is a Slack id starting with one of the
// letters in first ("C" channel, "G" private channel).
func validSlackID(s, first string) bool {
	return len(s) >= 3 && strings.ContainsRune(first, rune(s[0])) && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

// directoryBuilder turns the file's directory into a workflow.Directory,
// checking every entry and that no platform id is listed twice.
type directoryBuilder struct {
	policy *workflow.Policy // for the roles it defines
	dir    workflow.Directory
	probs  *problems
	seen   map[workflow.UserID]string // id → the path that first listed it
	agency map[string]bool
}

// resolveDirectory builds the directory. A file with no directory on a
// deployment with no chat platform gets the practice people, so a policy
// can be tried out in the practice console before anyone is listed.
func resolveDirectory(fc *fileConfig, c *Config, builtin bool, probs *problems) workflow.Directory {
	df, members := fc.Directory, fc.BusinessTeam.Members
	if df == nil {
		if !c.Practice() {
			probs.add("directory", "is required when Slack or Teams is configured: the agencies, and who holds each role in them")
			return workflow.Directory{}
		}
		practice := practiceFile()
		df, members, builtin = practice.Directory, practice.BusinessTeam.Members, true
	}
	b := &directoryBuilder{policy: c.Policy, probs: probs, seen: map[workflow.UserID]string{}, agency: map[string]bool{}}
	for i, a := range df.Agencies {
		b.addAgency(fmt.Sprintf("directory.agencies[%d]", i), a)
	}
	for i, a := range b.dir.Agencies {
		path := fmt.Sprintf("directory.agencies[%d].held_by", i)
		switch held, _ := b.dir.Agency(a.HeldBy); {
		case a.HeldBy == "":
		case !b.agency[a.HeldBy]:
			probs.add(path, "unknown agency %q: it must be one of directory.agencies", a.HeldBy)
		case a.HeldBy == a.ID:
			probs.add(path, "an agency cannot hold its own stages for itself")
		case held.HeldBy != "":
			probs.add(path, "%q is itself held by %q: name the agency that holds the stages", a.HeldBy, held.HeldBy)
		}
	}
	if p := c.Policy; p != nil && p.Last() > 0 {
		if st := p.Stage(p.Last()); st.Final == workflow.FinalDecider && st.DeciderAgency != "" && !b.agency[st.DeciderAgency] {
			probs.add(fmt.Sprintf("policy.stages[%d].decider_agency", p.Last()-1), "unknown agency %q: it must be one of directory.agencies", st.DeciderAgency)
		}
	}
	if len(df.Agencies) < 2 && !(c.Policy != nil && c.Policy.WithinAgency) {
		probs.add("directory.agencies", "list at least two agencies: this policy is for disagreements between agencies")
	} else if len(df.Agencies) == 0 {
		probs.add("directory.agencies", "list at least one agency")
	}
	for i, p := range df.People {
		b.addPerson(fmt.Sprintf("directory.people[%d]", i), p)
	}
	for i, m := range df.Chair {
		b.addMember(fmt.Sprintf("directory.chair[%d]", i), m, workflow.RoleChair)
	}
	for i, m := range members {
		b.addMember(fmt.Sprintf("business_team.members[%d]", i), m, "")
	}
	if c.Policy != nil && c.Policy.Last() > 0 && c.Policy.Stage(c.Policy.Last()).Role == workflow.RoleChair && len(b.dir.Chair) == 0 {
		probs.add("directory.chair", "is required: the last stage of the policy is held by the partnership chair")
	}
	if len(b.dir.BusinessTeam) == 0 && c.Policy != nil && (c.Policy.FeedFrom() > 0 || c.Policy.NotifyOnResolution) {
		probs.add("business_team.members", "list at least one member: the policy tells the business team about cases")
	}
	if builtin && c.Policy != nil {
		b.dir.People = keepUsedRoles(b.dir.People, c.Policy)
	}
	return b.dir
}

// keepUsedRoles drops practice people whose role the policy never uses, so
// the practice console offers only the people a case can reach.
func keepUsedRoles(people []workflow.Person, p *workflow.Policy) []workflow.Person {
	used := map[workflow.Role]bool{workflow.RolePractitioner: true, "": true}
	for _, s := range p.Stages {
		used[s.RoleOn(workflow.SideRaiser)], used[s.RoleOn(workflow.SideResponder)] = true, true
	}
	var out []workflow.Person
	for _, person := range people {
		if used[person.Role] {
			out = append(out, person)
		}
	}
	return out
}

func (b *directoryBuilder) addAgency(path string, a agencyFile) {
	id, name := strings.TrimSpace(a.ID), strings.TrimSpace(a.Name)
	switch {
	case id == "":
		b.probs.add(path+".id", "is required (e.g. childrens-social-care)")
	case !validSlug(id):
		b.probs.add(path+".id", "must be lower-case letters, digits and dashes, not %q", id)
	case b.agency[id]:
		b.probs.add(path+".id", "%q is listed twice", id)
	}
	if name == "" {
		b.probs.add(path+".name", "is required")
	}
	b.agency[id] = true
	b.dir.Agencies = append(b.dir.Agencies, workflow.Agency{ID: id, Name: name, TeamsTenant: b.tenant(path, a.TeamsTenant), HeldBy: strings.TrimSpace(a.HeldBy)})
}

func (b *directoryBuilder) addPerson(path string, pf personFile) {
	role := workflow.Role(strings.TrimSpace(pf.Role))
	agency := strings.TrimSpace(pf.Agency)
	switch {
	case role == "":
		b.probs.add(path+".role", "is required: one of %s", strings.Join(b.policy.RoleNames(), ", "))
	case !b.policy.KnownRole(role):
		b.probs.add(path+".role", "unknown role %q; use one of %s", pf.Role, strings.Join(b.policy.RoleNames(), ", "))
	}
	b.checkAgency(path, agency, role != workflow.RoleChair)
	email := b.email(path, pf.Email)
	ids := b.ids(path, pf.Name, pf.Slack, pf.Teams, pf.Console, pf.SlackGroup, pf.EntraGroup, email)
	tenant := b.tenant(path, pf.TeamsTenant)
	for _, id := range ids {
		b.dir.People = append(b.dir.People, workflow.Person{ID: id, Name: strings.TrimSpace(pf.Name), Agency: agency, Role: role, TeamsTenant: tenant, Email: email})
		if role == workflow.RoleChair {
			b.dir.Chair = append(b.dir.Chair, id)
		}
	}
}

// addMember adds a chair (role chair) or a business-team member (no role).
func (b *directoryBuilder) addMember(path string, m memberFile, role workflow.Role) {
	agency := strings.TrimSpace(m.Agency)
	b.checkAgency(path, agency, false)
	email := b.email(path, m.Email)
	tenant := b.tenant(path, m.TeamsTenant)
	for _, id := range b.ids(path, m.Name, m.Slack, m.Teams, m.Console, "", "", email) {
		b.dir.People = append(b.dir.People, workflow.Person{ID: id, Name: strings.TrimSpace(m.Name), Agency: agency, Role: role, TeamsTenant: tenant, Email: email})
		if role == workflow.RoleChair {
			b.dir.Chair = append(b.dir.Chair, id)
		} else {
			b.dir.BusinessTeam = append(b.dir.BusinessTeam, id)
		}
	}
}

// tenant checks a teams_tenant: a Microsoft Entra tenant id (a GUID, as
// Teams names it in every activity), kept in lower case.
func (b *directoryBuilder) tenant(path, raw string) string {
	t := strings.TrimSpace(raw)
	if t == "" {
		return ""
	}
	if !teamsAADPattern.MatchString(t) {
		b.probs.add(path+".teams_tenant", "must be a Microsoft Entra tenant id (a GUID, from the Entra admin centre's Overview page), not %q", raw)
		return ""
	}
	return strings.ToLower(t)
}

func (b *directoryBuilder) checkAgency(path, agency string, required bool) {
	switch {
	case agency == "" && required:
		b.probs.add(path+".agency", "is required: the id of one of directory.agencies")
	case agency != "" && !b.agency[agency]:
		b.probs.add(path+".agency", "unknown agency %q; list it under directory.agencies", agency)
	}
}

// email checks a person's address and returns it in lower case ("" when
// none is given or it is not an address).
func (b *directoryBuilder) email(path, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	addr, ok := workflow.NormalEmail(raw)
	if !ok {
		b.probs.add(path+".email", "must be an email address (name@agency.org), not %q", raw)
		return ""
	}
	return addr
}

// ids checks a person's name and platform ids and returns the
// platform-qualified ids, one per platform the person is on. A person on no
// chat platform but with an email address gets one id, email:<address>.
func (b *directoryBuilder) ids(path, name, slack, teams, console, slackGroup, entraGroup, email string) []workflow.UserID {
	slack, teams, console, slackGroup = strings.TrimSpace(slack), strings.TrimSpace(teams), strings.TrimSpace(console), strings.TrimSpace(slackGroup)
	entraGroup = strings.ToLower(strings.TrimSpace(entraGroup))
	if strings.TrimSpace(name) == "" {
		b.probs.add(path+".name", "is required")
	}
	var ids []workflow.UserID
	add := func(key, platform, local string, valid bool, want string) {
		if local == "" {
			return
		}
		if !valid {
			b.probs.add(path+"."+key, "must be %s, not %q", want, local)
			return
		}
		id := workflow.UserID(platform + ":" + local)
		if first, dup := b.seen[id]; dup {
			b.probs.add(path+"."+key, "%s is already listed at %s", id, first)
			return
		}
		b.seen[id] = path + "." + key
		ids = append(ids, id)
	}
	add("slack", platformSlack, slack, slackUserPattern.MatchString(slack), "a Slack member id (U… or W…, from the person's profile)")
	if teamsAADPattern.MatchString(teams) {
		teams = strings.ToLower(teams) // Teams sends object ids in lower case
	}
	add("teams", platformTeams, teams, teamsAADPattern.MatchString(teams) || (strings.HasPrefix(teams, "29:") && len(teams) > 3), "a Microsoft Entra (Azure AD) object id, or a Teams user id (29:…)")
	add("console", platformConsole, console, consolePattern.MatchString(console), "a practice-console id of lower-case letters, digits, - and _")
	add("slack_group", platformSlackGroup, slackGroup, slackGroupPattern.MatchString(slackGroup), "a Slack user-group id (S…)")
	// An Entra ID group's members are read from Microsoft Graph on a
	// schedule and hold the entry's role (see bot/directory.Groups).
	add("entra_group", platformEntraGroup, entraGroup, teamsAADPattern.MatchString(entraGroup), "a Microsoft Entra group's object id (a GUID, from the group's Overview page)")
	if slack == "" && teams == "" && console == "" && slackGroup == "" && entraGroup == "" {
		if email != "" {
			add("email", platformEmail, email, true, "")
			return ids
		}
		keys := "slack, teams, console or email"
		if !strings.HasPrefix(path, "business_team") && !strings.HasPrefix(path, "directory.chair") {
			keys = "slack, teams, console, slack_group, entra_group or email"
		}
		b.probs.add(path, "needs at least one platform id or an email address (%s)", keys)
	}
	return ids
}
