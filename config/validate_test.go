package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// readPolicyTexts is the policies Escalate implements (a copy of the texts
// in the design's policies/ folder), normalised for comparison.
func readPolicyTexts(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob("testdata/policies/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no policy texts in testdata/policies: %v", err)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(normalise(string(b)))
		all.WriteString(" ")
	}
	return all.String()
}

func normalise(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func containsText(texts, quote string) bool { return strings.Contains(texts, normalise(quote)) }

// TestBrokenFiles: every problem is reported by its path, all at once.
func TestBrokenFiles(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		want []string
	}{
		{"not YAML", "policy: [unclosed\n", nil, []string{"(file): is not valid YAML"}},
		// Found by fuzzing: an anchored empty key once gave a problem with no path.
		{"an empty key", "&a :\nx: 1\n", nil, []string{"(the key on line 1): unknown key (a typo?)"}},
		{"unknown top-level key", "polcy: {preset: coventry}\n", nil, []string{`polcy: unknown key (a typo?); the keys here are addr, business_team, calendar, digest, directory, email, emergency, env, metrics_addr, partnership, policy, redis, retention, scheduler, scope, slack, subject_ref_example, subject_ref_pattern, teams (line 1)`}},
		{"unknown nested key", "calendar:\n  region: scotland\n  timezon: Europe/London\n", nil, []string{"calendar.timezon: unknown key (a typo?); the keys here are closures, region, timezone, working_hours", "(line 3)"}},
		{"a key given twice", "digest: {time: \"09:00\"}\ndigest: {time: \"10:00\"}\n", nil, []string{"digest: is given twice"}},
		{"wrong kind", "emergency: call 999\ndirectory: [a]\n", nil, []string{`emergency: must be a list, not "call 999"`, "directory: must be a mapping of keys (agencies, chair, people), not a list"}},
		{"not a bool", "policy:\n  partnership: P\n  within_agency: sometimes\n", nil, []string{`policy.within_agency: must be true or false, not "sometimes"`}},
		{"not a number", "retention: {days_after_closure: forever}\n", nil, []string{`retention.days_after_closure: must be a whole number, not "forever"`}},
		{"unknown preset", "policy: {preset: anyshire}\n", nil, []string{`policy.preset: no such preset "anyshire"; the presets are coventry, warwickshire, west-sussex, wolverhampton`}},
		{"preset with changes", "policy: {preset: coventry, within_agency: true}\n", nil, []string{"policy.preset: a preset is used as it is", "copy it from config/presets/coventry.yaml"}},
		{"preset with a change to a zero value", "policy: {preset: warwickshire, within_agency: false}\n", nil, []string{"policy.preset: a preset is used as it is"}},
		{"broken policy", `
policy:
  id: Bad Id
  subjects: [child, pets]
  stages:
    - {name: One, role: practitioner, window: 1 working day, remind: 1 working day}
    - {name: Two, role: boss, window: 1 working day}
    - {name: Three, role: senior_manager, window: 0 working days}
    - {role: line_manager, window: a fortnight}
    - {label: "1", name: Five, role: chair, window: 1 working day}
    - {name: Six, role: chair, window: 1 working day, final: chair_resolves, notify_business_team: maybe}
    - {name: Seven, role: chair}
`, nil, []string{
			`policy.id: must be lower-case letters, digits and dashes, not "Bad Id"`,
			"policy.partnership: is required",
			`policy.subjects[1]: must be child or adult, not "pets"`,
			"policy.stages: a policy has 2 to 6 stages, this one has 7",
			"policy.stages[0].remind: must be shorter than the window (1 working day)",
			`policy.stages[1].role: must be one of practitioner, line_manager, senior_manager, head_of_service, head_of_safeguarding, chair; not "boss"`,
			"policy.stages[2].window: must be positive",
			"policy.stages[3].name: is required",
			`policy.stages[3].window: write a window as "1 working day", "3 working days", "4 working hours", "48 hours" or "a working week", not "a fortnight"`,
			"policy.stages[3].role: line_manager is a lower tier than the previous stage's senior_manager",
			`policy.stages[4].label: "1" is already the label of stages[0]`,
			"policy.stages[4].final: a stage held by the chair must say what the chair does",
			`policy.stages[5].notify_business_team: must be true or false, not "maybe"`,
		}},
		{"broken policy, second pass", `
policy:
  partnership: P
  subjects: [child]
  immediate_risk_max_stage: 9
  stages:
    - {name: One, role: practitioner, window: {amount: 1, unit: fortnights}}
    - {name: Two, role: line_manager, window: 1 working day, final: chair_resolves}
    - {name: Three, role: chair, window: 1 working day, final: panel}
    - {name: Four, role: chair}
`, nil, []string{
			`policy.stages[0].window.unit: must be working_days, working_hours or hours, not "fortnights"`,
			`policy.stages[1].final: only the last stage can be "chair_resolves"`,
			"policy.stages[1].role: a stage the chair resolves must have role chair",
			`policy.stages[2].final: must be chair_resolves, chair_or_panel or decider, not "panel"`,
			`policy.stages[3].window: is required (e.g. "1 working day")`,
			"policy.immediate_risk_max_stage: must be between 0 and the number of stages (4)",
		}},
		{"broken directory", `
directory:
  agencies:
    - {id: csc, name: Children's Social Care}
    - {id: csc, name: Again}
    - {id: Health Trust, name: ""}
  people:
    - {name: Sam, agency: csc, role: practitioner, slack: U0001}
    - {name: Sam Again, agency: csc, role: practitioner, slack: U0001}
    - {name: Nobody, agency: csc, role: practitioner}
    - {name: Boss, agency: csc, role: boss, console: boss}
    - {agency: nowhere, role: line_manager, teams: not-an-id, slack: sam}
    - {name: No Agency, role: senior_manager, slack_group: G123, console: "Bad Id"}
    - {name: No Role, agency: csc, teams: "29:1abcdef"}
    - {name: Bad Mail, agency: csc, role: practitioner, email: "not an address"}
  chair:
    - {name: Chair, console: sw, slack: U0001}
business_team:
  members:
    - {name: "", console: bt}
    - {name: Officer, agency: nowhere}
  slack_channel: general
`, nil, []string{
			`directory.agencies[1].id: "csc" is listed twice`,
			`directory.agencies[2].id: must be lower-case letters, digits and dashes, not "Health Trust"`,
			"directory.agencies[2].name: is required",
			"directory.people[1].slack: slack:U0001 is already listed at directory.people[0].slack",
			"directory.people[2]: needs at least one platform id or an email address (slack, teams, console, slack_group or email)",
			`directory.people[3].role: unknown role "boss"`,
			"directory.people[4].name: is required",
			`directory.people[4].agency: unknown agency "nowhere"; list it under directory.agencies`,
			`directory.people[4].teams: must be a Microsoft Entra (Azure AD) object id, or a Teams user id (29:…), not "not-an-id"`,
			`directory.people[4].slack: must be a Slack member id (U… or W…, from the person's profile), not "sam"`,
			"directory.people[5].agency: is required",
			`directory.people[5].slack_group: must be a Slack user-group id (S…), not "G123"`,
			`directory.people[5].console: must be a practice-console id`,
			"directory.people[6].role: is required",
			`directory.people[7].email: must be an email address (name@agency.org), not "not an address"`,
			"directory.chair[0].slack: slack:U0001 is already listed at directory.people[0].slack",
			"business_team.members[0].name: is required",
			"business_team.members[1]: needs at least one platform id or an email address (slack, teams, console or email)",
			`business_team.members[1].agency: unknown agency "nowhere"`,
			`business_team.slack_channel: must be a Slack channel id (C… or G…, from the channel's details), not "general"`,
		}},
		{"directory without chair or business team", `
directory:
  agencies: [{id: a, name: A}]
  people: [{name: Sam, agency: a, role: practitioner, console: sam}]
`, nil, []string{
			"directory.agencies: list at least two agencies: this policy is for disagreements between agencies",
			"directory.chair: is required: the last stage of the policy is held by the partnership chair",
			"business_team.members: list at least one member: the policy tells the business team about cases",
		}},
		{"broken calendar and times", `
calendar:
  region: wales-and-england
  timezone: Europe/Londn
  working_hours: {start: "17:00", end: "09:00"}
  closures: ["2026-12-29", "29/12/2026", "2026-12-29"]
digest: {time: "9am"}
scheduler: {tick: 2h}
retention: {days_after_closure: -1}
`, nil, []string{
			`calendar.region: unknown region "wales-and-england"; use england-and-wales, scotland or northern-ireland`,
			`calendar.timezone: unknown time zone "Europe/Londn"`,
			"calendar.working_hours: must end after it starts (17:00–09:00)",
			`calendar.closures[1]: must be a date as YYYY-MM-DD, not "29/12/2026"`,
			"calendar.closures[2]: 2026-12-29 is listed twice",
			`digest.time: must be a time of day as HH:MM (e.g. 09:00), not "9am"`,
			"scheduler.tick: must be between 1s and 10m, not 2h0m0s",
			"retention.days_after_closure: must be 0 (never purge) or a number of days, not -1",
		}},
		{"bad working hours", "calendar:\n  working_hours: {start: \"25:00\"}\n", nil, []string{`calendar.working_hours.start: must be a time of day as HH:MM`}},
		{"Slack without a feed channel", strings.Replace(minimalSlack, "  slack_channel: C0001\n", "", 1), slackEnv, []string{"business_team.slack_channel: required when Slack is configured"}},
		{"Teams without a feed conversation", strings.Replace(minimalSlack, "  slack_channel: C0001\n", "", 1), []string{"TEAMS_APP_ID", "a", "TEAMS_APP_PASSWORD", "p"}, []string{"business_team.teams_conversation: required when Teams is configured"}},
		{"both without a feed", strings.Replace(minimalSlack, "  slack_channel: C0001\n", "", 1), append([]string{"TEAMS_APP_ID", "a", "TEAMS_APP_PASSWORD", "p"}, slackEnv...), []string{"business_team: needs slack_channel or teams_conversation"}},
		{"bad URLs in the file", "teams:\n  service_url: smba.trafficmanager.net\n  openid_metadata_url: ftp://x\n", nil, []string{
			`teams.service_url: must be an http(s) URL, not "smba.trafficmanager.net"`,
			"TEAMS_OPENID_METADATA_URL / teams.openid_metadata_url: must be an http(s) URL",
		}},
		{"a bad Graph URL", "teams:\n  graph_url: graph.microsoft.com\n", nil, []string{`GRAPH_API_URL / teams.graph_url: must be an http(s) URL, not "graph.microsoft.com"`}},
		{"bad Redis addresses", "redis:\n  sentinel: {master_name: m, addrs: [nohost]}\n", nil, []string{`redis.sentinel.addrs[0]: must be host:port, not "nohost"`}},
		{"sentinel without a name", "redis:\n  sentinel: {addrs: [\"h:1\"]}\n", nil, []string{"redis.sentinel: needs both master_name and addrs"}},
		{"bad cluster address", "redis:\n  cluster_addrs: [\"h:1\", \"h2\"]\n", nil, []string{`redis.cluster_addrs[1]: must be host:port, not "h2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), env(tt.env...))
			if err == nil {
				t.Fatal("a broken file loaded")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks\n  %s\nin\n%s", w, msg)
				}
			}
			problemsOf(t, err)
		})
	}
}

// TestNoRepeatedProblems: a problem the file reader reports is not
// reported again, in other words, by the workflow's policy validation.
func TestNoRepeatedProblems(t *testing.T) {
	file := `
policy:
  partnership: P
  subjects: [child]
  stages:
    - {name: One, role: practitioner, window: 1 working day}
    - {name: Two, role: boss, window: a fortnight}
    - {name: Three, role: chair, final: chair_resolves}
`
	_, err := Parse([]byte(file), env())
	ps := problemsOf(t, err)
	want := []string{
		`policy.stages[1].role: must be one of practitioner, line_manager, senior_manager, head_of_service, head_of_safeguarding, chair; not "boss"`,
		`policy.stages[1].window: write a window as "1 working day", "3 working days", "4 working hours", "48 hours" or "a working week", not "a fortnight"`,
		`policy.stages[2].window: is required (e.g. "1 working day")`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Path+": "+p.Message)
	}
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestProblemLines: problems carry the line of what they are about.
func TestProblemLines(t *testing.T) {
	file := `policy:
  partnership: P
  subjects: [child]
  stages:
    - name: One
      role: practitioner
      window: 1 working day
    - name: Two
      role: chair
      window: 0 working days
      final: chair_resolves
`
	_, err := Parse([]byte(file), env())
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Path != "policy.stages[1].window" || ps[0].Line != 10 || ps[0].Message != "must be positive" {
		t.Fatalf("problems %+v", ps)
	}
	if !strings.Contains(err.Error(), "the configuration has a problem:\n  policy.stages[1].window: must be positive (line 10)") {
		t.Errorf("message:\n%s", err)
	}
}

func TestEmptyFileIsPractice(t *testing.T) {
	c, err := Parse(nil, env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Preset != "west-sussex" || !c.Practice() || len(c.Directory.People) == 0 {
		t.Errorf("an empty file on no platform is the practice configuration: %+v", c)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), env())
	if err == nil || !strings.Contains(err.Error(), "read the configuration") {
		t.Errorf("err = %v", err)
	}
}

// TestPlainDatesAndTimes: dates and times need no quotes (YAML reads
// 2026-12-29 as a timestamp and 09:00 as a string; both are accepted).
func TestPlainDatesAndTimes(t *testing.T) {
	file := `
calendar:
  working_hours: {start: 08:30, end: 16:00}
  closures:
    - 2026-12-29
    - "2026-12-30"
digest: {time: 08:45}
`
	c, err := Parse([]byte(file), env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Calendar.DayStart != 8*time.Hour+30*time.Minute || c.Calendar.DayEnd != 16*time.Hour || c.DigestAt != 8*time.Hour+45*time.Minute {
		t.Errorf("hours %v–%v digest %v", c.Calendar.DayStart, c.Calendar.DayEnd, c.DigestAt)
	}
	if len(c.Calendar.Closures) != 2 || c.Calendar.Closures[0].String() != "2026-12-29" || c.Calendar.Closures[1].String() != "2026-12-30" {
		t.Errorf("closures %v", c.Calendar.Closures)
	}
}

// TestProblemOrder: problems come in the order of the file, then those
// from the environment.
func TestProblemOrder(t *testing.T) {
	file := "digest: {time: late}\nscheduler: {tick: never}\npolicy: {preset: nowhere}\n"
	_, err := Parse([]byte(file), env("ESCALATE_ENV", "prod"))
	var paths []string
	for _, p := range problemsOf(t, err) {
		paths = append(paths, p.Path)
	}
	if want := []string{"digest.time", "scheduler.tick", "policy.preset", "ESCALATE_ENV"}; !slices.Equal(paths, want) {
		t.Errorf("order %v, want %v", paths, want)
	}
}
