package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/workflow"
)

// Trying your own policy in the practice console, as the README says:
// ESCALATE_CONFIG names the partnership's file (its people on Slack and
// Teams), and the console offers its agencies with practice people standing
// in for each role; a case raised between two of them reaches the other.
func TestPracticeConsoleWithYourOwnPolicy(t *testing.T) {
	var logs bottest.LogBuffer
	base := practiceServerWith(t, map[string]string{"ESCALATE_ADDR": "127.0.0.1:0", "ESCALATE_ENV": "practice", "ESCALATE_CONFIG": "../../config/example.yaml"}, &logs)
	if !strings.Contains(logs.String(), "practice people standing in for each role") || !strings.Contains(logs.String(), "stand_ins=14") {
		t.Errorf("start-up should say the console stands in for the file's people:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "nobody in the directory can be played") {
		t.Error("nobody-to-play warning with stand-ins present")
	}
	b := newBrowser(t, base)
	home := b.get("/")
	for _, want := range []string{`data-person="console:childrens-social-care-practitioner"`, `data-person="console:police-line-manager"`, `data-person="console:practice-business-team"`, "Practitioner at Anyshire Children&#39;s Social Care"} {
		if !strings.Contains(home, want) {
			t.Errorf("the console's home lacks %q", want)
		}
	}
	if strings.Contains(home, "Sam Carter") || strings.Contains(home, "You are (, )") {
		t.Error("the file's real people cannot be played and are not offered")
	}
	b.as("console:childrens-social-care-practitioner")
	page := b.get("/raise")
	code, body := b.submit(page, url.Values{
		"subject_type": {"child"}, "subject_ref": {"CS-123456"}, "category": {"thresholds"},
		"raiser_agency": {"childrens-social-care"}, "responder_agency": {"community-health"}, "responder": {"console:community-health-practitioner"},
		"disagreement": {"A strategy discussion was refused"}, "outcome_sought": {"A strategy discussion"}, "evidence": {"Notes"},
	})
	if code != http.StatusOK || !regexp.MustCompile(`Raised as ESC-\d{4}-\d{4}`).MatchString(body) {
		t.Fatalf("raise between two stand-ins: %d\n%s", code, body)
	}
	b.as("console:community-health-practitioner")
	if hv := b.get("/"); !strings.Contains(hv, "A strategy discussion was refused") || !strings.Contains(hv, `data-action="escalate"`) {
		t.Error("the other agency's stand-in should hold the case with its buttons")
	}
}

// A console with nobody it can play says so at start-up.
func TestNobodyToPlayWarning(t *testing.T) {
	if w := nobodyToPlay(workflow.Directory{People: []workflow.Person{{ID: "slack:U1", Role: workflow.RolePractitioner}}}); !strings.Contains(w, "nobody in the directory can be played") {
		t.Errorf("warning: %q", w)
	}
	if w := nobodyToPlay(workflow.Directory{People: []workflow.Person{{ID: "console:sw", Role: workflow.RolePractitioner}}}); w != "" {
		t.Errorf("no warning wanted: %q", w)
	}
}
