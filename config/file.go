package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The types in this file are the YAML file as an administrator writes it.
// Load reads a file into them, then resolves them into a Config.

type fileConfig struct {
	Env          string           `yaml:"env"`
	Addr         string           `yaml:"addr"`
	MetricsAddr  string           `yaml:"metrics_addr"`
	Partnership  string           `yaml:"partnership"`
	Policy       *policyFile      `yaml:"policy"`
	Directory    *directoryFile   `yaml:"directory"`
	BusinessTeam businessTeamFile `yaml:"business_team"`
	Calendar     calendarFile     `yaml:"calendar"`
	Emergency    []string         `yaml:"emergency"`
	Scope        *scopeFile       `yaml:"scope"`
	Slack        slackFile        `yaml:"slack"`
	Teams        teamsFile        `yaml:"teams"`
	Redis        redisFile        `yaml:"redis"`
	Digest       digestFile       `yaml:"digest"`
	Retention    retentionFile    `yaml:"retention"`
	Scheduler    schedulerFile    `yaml:"scheduler"`
	// SubjectRefPattern is the shape of the agencies' case numbers (a
	// regular expression), SubjectRefExample one that fits it.
	SubjectRefPattern string    `yaml:"subject_ref_pattern"`
	SubjectRefExample string    `yaml:"subject_ref_example"`
	Email             emailFile `yaml:"email"`
}

type policyFile struct {
	Preset                string      `yaml:"preset"`
	ID                    string      `yaml:"id"`
	Partnership           string      `yaml:"partnership"`
	Subjects              []string    `yaml:"subjects"`
	Stages                []stageFile `yaml:"stages"`
	Roles                 []roleFile  `yaml:"roles"`
	Routes                []routeFile `yaml:"routes"`
	NotifyOnResolution    bool        `yaml:"notify_on_resolution"`
	LapseNotifiesNextTier bool        `yaml:"lapse_notifies_next_tier"`
	WithinAgency          bool        `yaml:"within_agency"`
	AnyoneWhereUnlisted   bool        `yaml:"anyone_where_unlisted"`
	ImmediateRiskMaxStage int         `yaml:"immediate_risk_max_stage"`
	ImmediateRiskWindow   windowSpec  `yaml:"immediate_risk_window"`
	ImmediateRiskTell     []string    `yaml:"immediate_risk_tell"`
	// RaiseWithin is the time limit on raising, from the decision's date.
	RaiseWithin windowSpec `yaml:"raise_within"`
	// Source says where the policy-wide settings come from (who it covers,
	// within one agency or not, resolution notices, immediate risk).
	Source string `yaml:"source"`
}

// routeFile is a separate route for some categories, with its own stages.
type routeFile struct {
	ID         string      `yaml:"id"`
	Name       string      `yaml:"name"`
	Categories []string    `yaml:"categories"`
	Stages     []stageFile `yaml:"stages"`
	Source     string      `yaml:"source"`
	// RaiseWithin is the route's own time limit on raising.
	RaiseWithin windowSpec `yaml:"raise_within"`
}

// meetingFile makes a stage a meeting.
type meetingFile struct {
	ConvenedBy           string `yaml:"convened_by"`
	IndependentlyChaired bool   `yaml:"independently_chaired"`
	Agencies             int    `yaml:"agencies"`
	Name                 string `yaml:"name"`
}

// responseFile is a written response a stage asks of one side.
type responseFile struct {
	From   string     `yaml:"from"`
	Within windowSpec `yaml:"within"`
	Remind windowSpec `yaml:"remind"`
	What   string     `yaml:"what"`
}

// roleFile is a role the partnership defines beside the built-in ones.
type roleFile struct {
	ID        string `yaml:"id"`
	Label     string `yaml:"label"`
	RanksWith string `yaml:"ranks_with"`
}

type stageFile struct {
	Label              string        `yaml:"label"`
	Name               string        `yaml:"name"`
	Role               string        `yaml:"role"`
	RaiserRole         string        `yaml:"raiser_role"`
	ResponderRole      string        `yaml:"responder_role"`
	Window             windowSpec    `yaml:"window"`
	Remind             windowSpec    `yaml:"remind"`
	WindowAgreed       bool          `yaml:"window_agreed"`
	Optional           bool          `yaml:"optional"`
	Tell               []string      `yaml:"tell"`
	DeciderAgency      string        `yaml:"decider_agency"`
	Response           *responseFile `yaml:"response"`
	AfterResolution    *responseFile `yaml:"after_resolution"`
	Meeting            *meetingFile  `yaml:"meeting"`
	NotifyBusinessTeam bool          `yaml:"notify_business_team"`
	Final              string        `yaml:"final"`
	Source             string        `yaml:"source"`
}

// windowSpec is a window as written: "1 working day", "4 working hours",
// "48 hours", "a working week", or {amount: 1, unit: working_days}. It keeps
// the node so that a window that cannot be read is reported by its path.
type windowSpec struct {
	node *yaml.Node
}

func (w *windowSpec) UnmarshalYAML(n *yaml.Node) error {
	w.node = n
	return nil
}

type directoryFile struct {
	Agencies []agencyFile `yaml:"agencies"`
	People   []personFile `yaml:"people"`
	Chair    []memberFile `yaml:"chair"`
}

type agencyFile struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// TeamsTenant is the Microsoft Entra tenant id the agency's people are
	// in on Teams; the bot registration of that tenant reaches them.
	TeamsTenant string `yaml:"teams_tenant"`
	// HeldBy is a third agency whose managers hold this agency's stages
	// above the practitioners.
	HeldBy string `yaml:"held_by"`
}

type personFile struct {
	Name       string `yaml:"name"`
	Agency     string `yaml:"agency"`
	Role       string `yaml:"role"`
	Slack      string `yaml:"slack"`
	Teams      string `yaml:"teams"`
	Console    string `yaml:"console"`
	SlackGroup string `yaml:"slack_group"`
	// Email is the person's work address. A person with no chat id is
	// reached by email alone (notices and a link to the web page).
	Email string `yaml:"email"`
	// TeamsTenant overrides the agency's teams_tenant for this person (a
	// seconded worker, say, whose Teams account is another organisation's).
	TeamsTenant string `yaml:"teams_tenant"`
}

// memberFile is a member of the business team or a chair of the
// partnership: no holder role of an agency.
type memberFile struct {
	Name        string `yaml:"name"`
	Agency      string `yaml:"agency"`
	Slack       string `yaml:"slack"`
	Teams       string `yaml:"teams"`
	Console     string `yaml:"console"`
	Email       string `yaml:"email"`
	TeamsTenant string `yaml:"teams_tenant"`
}

type businessTeamFile struct {
	Members           []memberFile `yaml:"members"`
	SlackChannel      string       `yaml:"slack_channel"`
	TeamsConversation string       `yaml:"teams_conversation"`
	// TeamsTenant is the tenant the Teams channel belongs to, whose bot
	// posts there (needed with several registrations).
	TeamsTenant string `yaml:"teams_tenant"`
	// TeamsTeam is the team (its Microsoft 365 group id) the channel is
	// in: with teams.graph_url, Graph is asked for its posts.
	TeamsTeam string `yaml:"teams_team"`
}

type calendarFile struct {
	Region       string           `yaml:"region"`
	Timezone     string           `yaml:"timezone"`
	WorkingHours workingHoursFile `yaml:"working_hours"`
	Closures     []string         `yaml:"closures"`
}

type workingHoursFile struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

type scopeFile struct {
	For    []string `yaml:"for"`
	NotFor []string `yaml:"not_for"`
}

type slackFile struct {
	APIURL string `yaml:"api_url"`
}

type teamsFile struct {
	AppID             string `yaml:"app_id"`
	TenantID          string `yaml:"tenant_id"`
	OpenIDMetadataURL string `yaml:"openid_metadata_url"`
	TokenURL          string `yaml:"token_url"`
	ServiceURL        string `yaml:"service_url"`
	GraphURL          string `yaml:"graph_url"`
	// Registrations are several single-tenant bots, one per agency tenant.
	Registrations []registrationFile `yaml:"registrations"`
}

type redisFile struct {
	Sentinel     sentinelFile `yaml:"sentinel"`
	ClusterAddrs []string     `yaml:"cluster_addrs"`
	TLS          bool         `yaml:"tls"`
}

type sentinelFile struct {
	MasterName string   `yaml:"master_name"`
	Addrs      []string `yaml:"addrs"`
}

type digestFile struct {
	Time string `yaml:"time"`
}

type retentionFile struct {
	DaysAfterClosure *int `yaml:"days_after_closure"`
}

type schedulerFile struct {
	Tick string `yaml:"tick"`
}

// secretKeys are settings that must never sit in a file (files are copied,
// committed and mailed about); each names the environment variable to use.
var secretKeys = map[string]string{
	"encryption_key":       envEncryptionKey,
	"slack.bot_token":      envSlackBotToken,
	"slack.signing_secret": envSlackSigningSecret,
	"slack.app_token":      envSlackAppToken,
	"teams.app_password":   envTeamsAppPassword,
	"redis.url":            envRedisURL,
	"redis.password":       envRedisPassword,
}

var windowSpecType = reflect.TypeFor[windowSpec]()

// decodeFile reads YAML into a fileConfig. Before decoding it walks the
// document against the types above, so that unknown keys (typos), secrets
// and values of the wrong kind are all reported by their path, and it
// records the line of every path for later problems.
func decodeFile(data []byte, probs *problems) (*fileConfig, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.add("(file)", "is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, false
	}
	fc := &fileConfig{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return fc, true // an empty file: every default
	}
	root := doc.Content[0]
	before := len(probs.list)
	walk(root, reflect.TypeFor[fileConfig](), "", probs)
	// Decode even when walk found problems: yaml skips what it cannot
	// decode and fills in the rest, so the rest is still validated and the
	// administrator sees every problem in one pass.
	if err := root.Decode(fc); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			probs.add("(file)", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return nil, false
		}
		if len(probs.list) == before {
			// walk checks every kind Decode cares about; should it miss one,
			// report yaml's words rather than load a file it could not read.
			for _, e := range te.Errors {
				probs.add("(file)", "%s", e)
			}
		}
	}
	return fc, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walk checks node n against type t at path.
func walk(n *yaml.Node, t reflect.Type, path string, probs *problems) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != "" {
		if _, seen := probs.lines[path]; !seen {
			probs.lines[path] = n.Line
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with nothing after it leaves the default
	}
	if t == windowSpecType {
		walkWindow(n, path, probs)
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if path == "" {
				path = "(file)"
			}
			probs.add(path, "must be a mapping of keys (%s), not %s", strings.Join(yamlKeys(t), ", "), describe(n))
			return
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			if name := yamlName(f); name != "" {
				fields[name] = f.Type
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := k.Value
			if k.Kind != yaml.ScalarNode || strings.TrimSpace(name) == "" {
				// An empty or anchored key still needs a name a person can find.
				name = fmt.Sprintf("(the key on line %d)", k.Line)
			}
			p := join(path, name)
			if seen[k.Value] {
				probs.lines[p] = k.Line
				probs.add(p, "is given twice")
				continue
			}
			seen[k.Value] = true
			if env, secret := secretKeys[p]; secret {
				probs.lines[p] = k.Line
				probs.add(p, "is a secret and must not be in the file: remove it and set the environment variable %s", env)
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				probs.lines[p] = k.Line
				probs.add(p, "unknown key (a typo?); the keys here are %s", strings.Join(yamlKeys(t), ", "))
				continue
			}
			walk(v, ft, p, probs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			probs.add(path, "must be a list, not %s", describe(n))
			return
		}
		for i, e := range n.Content {
			walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), probs)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			probs.add(path, "must be a single value, not %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			probs.add(path, "must be true or false, not %s", describe(n))
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			probs.add(path, "must be a whole number, not %s", describe(n))
		}
	}
}

func walkWindow(n *yaml.Node, path string, probs *problems) {
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			probs.lines[p] = k.Line
			switch k.Value {
			case "amount":
				if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
					probs.add(p, "must be a whole number, not %s", describe(v))
				}
			case "unit":
				if v.Kind != yaml.ScalarNode {
					probs.add(p, "must be working_days, working_hours or hours, not %s", describe(v))
				}
			default:
				probs.add(p, "unknown key (a typo?); a window is written \"1 working day\" or {amount: 1, unit: working_days}")
			}
		}
	default:
		probs.add(path, "must be a window such as \"1 working day\", \"4 working hours\" or \"48 hours\", not %s", describe(n))
	}
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	return keys
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("%q", v)
	}
	return "this"
}
