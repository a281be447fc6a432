package slack

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestManifestMatchesTheAdapter: the app manifest at the repository root
// creates the app this package serves: the command, the three request
// URLs on routes Register serves, interactivity, the Home tab, the one
// event, Socket Mode, and no scope beyond the ones the adapter uses.
func TestManifestMatchesTheAdapter(t *testing.T) {
	data, err := os.ReadFile("../../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		DisplayInformation struct {
			Name            string `yaml:"name"`
			LongDescription string `yaml:"long_description"`
		} `yaml:"display_information"`
		Features struct {
			AppHome struct {
				HomeTab     bool `yaml:"home_tab_enabled"`
				MessagesTab bool `yaml:"messages_tab_enabled"`
			} `yaml:"app_home"`
			BotUser struct {
				DisplayName string `yaml:"display_name"`
			} `yaml:"bot_user"`
			SlashCommands []struct {
				Command   string `yaml:"command"`
				URL       string `yaml:"url"`
				UsageHint string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	if m.DisplayInformation.Name != "Escalate" || m.Features.BotUser.DisplayName != "Escalate" {
		t.Fatal("the app is not called Escalate")
	}
	if n := len(m.DisplayInformation.LongDescription); n < 175 || n > 4000 {
		t.Fatalf("Slack wants a long description of 175–4000 characters; it has %d", n)
	}
	if !m.Features.AppHome.HomeTab || !m.Features.AppHome.MessagesTab {
		t.Fatal("the Home and Messages tabs are not both enabled")
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/escalate" || m.Features.SlashCommands[0].UsageHint == "" {
		t.Fatalf("slash commands: %+v", m.Features.SlashCommands)
	}
	if !m.Settings.Interactivity.Enabled || !m.Settings.SocketMode {
		t.Fatal("interactivity or Socket Mode is off")
	}
	if !slices.Equal(m.Settings.Events.BotEvents, []string{"app_home_opened"}) {
		t.Fatalf("bot events %v", m.Settings.Events.BotEvents)
	}
	want := []string{"channels:history", "chat:write", "commands", "files:write", "groups:history", "im:history", "im:write", "usergroups:read", "users:read", "users:read.email"}
	got := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
	if !slices.Equal(got, want) {
		t.Fatalf("bot scopes %v, want %v", got, want)
	}
	// Each request URL is a route the adapter serves (answering 401 to an
	// unsigned request, where an unknown path would be 404).
	mux := http.NewServeMux()
	(&Adapter{}).Register(mux)
	for _, u := range []string{m.Features.SlashCommands[0].URL, m.Settings.Interactivity.RequestURL, m.Settings.Events.RequestURL} {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "https" || !strings.HasPrefix(p.Path, "/slack/") {
			t.Fatalf("request URL %q", u)
		}
		req, _ := http.NewRequest(http.MethodPost, p.Path, strings.NewReader(""))
		if _, pattern := mux.Handler(req); pattern == "" {
			t.Fatalf("%s is not a route of the adapter", p.Path)
		}
	}
}
