package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalate-app/escalate/workflow"
)

func csvConfig(t testing.TB) *Config {
	t.Helper()
	c, err := Parse([]byte(minimalSlack), env(slackEnv...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReadPeopleCSV(t *testing.T) {
	c := csvConfig(t)
	in := "\ufeffName,Email,Agency,Role,Slack,Teams\n" +
		"Priya Shah,Priya.Shah@Health.example,health,line_manager,,\n" +
		"Tom Reed,tom.reed@csc.example,csc,practitioner,U0TOM,\n" +
		"\n" +
		"Ann Lee,,health,senior_manager,,0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0\n" +
		`"Sam ""Sammy"" Patel",sam@csc.example,csc,practitioner,U0001,` + "\n" // U0001 is in the file: skipped
	rows, err := c.ReadPeopleCSV(strings.NewReader(in), "people.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if r := rows[0]; r.Line != 2 || r.Email != "priya.shah@health.example" || !r.NeedsLookUp() || r.Role != workflow.RoleLineManager {
		t.Errorf("row 1 %+v", r)
	}
	if r := rows[2]; r.Line != 5 || r.Teams != "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" || r.NeedsLookUp() {
		t.Errorf("the row after a blank line %+v", r)
	}
	if rows[3].Name != `Sam "Sammy" Patel` {
		t.Errorf("quoted name %q", rows[3].Name)
	}
	people, skipped := c.People(rows)
	if skipped != 1 || len(people) != 3 {
		t.Fatalf("people %+v skipped %d", people, skipped)
	}
	if people[0].ID != "email:priya.shah@health.example" || people[1].ID != "slack:U0TOM" || people[2].ID != "teams:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" {
		t.Errorf("ids %v", people)
	}
	dir := WithImported(c.Directory, people)
	if _, ok := dir.Person("slack:U0TOM"); !ok || len(dir.People) != len(c.Directory.People)+3 {
		t.Errorf("merged directory has %d people", len(dir.People))
	}
	if len(c.Directory.People) == len(dir.People) {
		t.Error("WithImported changed nothing")
	}
}

// Every bad row is reported by its line and column, and nothing comes back.
func TestReadPeopleCSVReportsEveryBadRow(t *testing.T) {
	c := csvConfig(t)
	in := "name,email,agency,role,slack\n" +
		"Priya Shah,priya@health.example,hospital,line_manager,\n" + // line 2: unknown agency
		"Tom Reed,tom@csc.example,csc,boss,\n" + // line 3: unknown role
		",x@csc.example,csc,practitioner,\n" + // line 4: no name
		"Ann Lee,not-an-address,health,practitioner,\n" + // line 5: bad email
		"Bo Li,priya@health.example,health,practitioner,\n" + // line 6: email twice
		"Cy Ng,,csc,practitioner,\n" + // line 7: no way to reach them
		"Di Oz,di@csc.example,csc,practitioner,C0CHANNEL\n" + // line 8: not a member id
		"Ed Po,ed@csc.example,csc,chair,\n" // line 9: the chair is in the file
	_, err := c.ReadPeopleCSV(strings.NewReader(in), "people.csv")
	want := []string{
		`line 2, agency: unknown agency "hospital"`,
		`line 3, role: unknown role "boss"`,
		"line 4, name: is required",
		`line 5, email: must be an email address (name@agency.org), not "not-an-address"`,
		"line 6, email: priya@health.example is also on line 2",
		"line 7: needs an email address, or a slack or teams id",
		`line 8, slack: must be a Slack member id`,
		"line 9, role: the partnership chair is listed in the configuration file",
	}
	for _, w := range want {
		if !strings.Contains(errString(err), w) {
			t.Errorf("the error lacks %q:\n%v", w, err)
		}
	}
	if n := len(problemsOf(t, err)); n != len(want) {
		t.Errorf("%d problems, want %d:\n%v", n, len(want), err)
	}
	for _, bad := range []struct{ in, want string }{
		{"", "line 1: the file is empty"},
		{"name,email,agency\n", `the column "role" is missing`},
		{"name,email,agency,role,phone\n", `unknown column "phone"`},
		{"name,email,agency,role,role\n", `the column "role" is named twice`},
		{"name,email,agency,role\n", "line 2: the file lists nobody"},
		{"name,email,agency,role\n\"Unclosed,a@b.example,csc,practitioner\n", "is not CSV"},
	} {
		if _, err := c.ReadPeopleCSV(strings.NewReader(bad.in), "people.csv"); !strings.Contains(errString(err), bad.want) {
			t.Errorf("%q: %v, want %q", bad.in, err, bad.want)
		}
	}
}

// FuzzPeopleCSV reads any bytes as a people CSV: it never panics, a refusal
// names a line for every problem, and what it accepts is well formed.
func FuzzPeopleCSV(f *testing.F) {
	f.Add([]byte("name,email,agency,role,slack,teams\nPriya Shah,priya@health.example,health,line_manager,,\n"))
	f.Add([]byte("name,email,agency,role\nTom,tom@csc.example,csc,practitioner\n\n\"A \"\"B\"\"\",a@b.example,health,senior_manager\n"))
	f.Add([]byte("\ufeffNAME,EMAIL,AGENCY,ROLE,TEAMS\nAnn,,health,practitioner,29:1abc\n"))
	f.Add([]byte("name,email,agency,role\n\"unclosed,x,y,z\n"))
	f.Add([]byte("name,email\r\n,\r\n"))
	f.Add([]byte{})
	c := csvConfig(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := c.ReadPeopleCSV(strings.NewReader(string(data)), "people.csv")
		if err != nil {
			for _, p := range problemsOf(t, err) {
				if !strings.HasPrefix(p.Path, "line ") || p.Message == "" {
					t.Fatalf("a problem names no line: %+v", p)
				}
			}
			if rows != nil {
				t.Fatal("rows came back with an error")
			}
			return
		}
		for _, r := range rows {
			if r.Name == "" || !c.Policy.KnownRole(r.Role) || (r.NeedsLookUp() && r.Email == "") {
				t.Fatalf("accepted a row that is not a person: %+v", r)
			}
			if _, ok := c.Directory.Agency(r.Agency); !ok {
				t.Fatalf("accepted an unknown agency: %+v", r)
			}
		}
		people, _ := c.People(rows)
		seen := map[workflow.UserID]bool{}
		for _, p := range people {
			if seen[p.ID] {
				t.Fatalf("%s imported twice", p.ID)
			}
			seen[p.ID] = true
		}
	})
}

func BenchmarkReadPeopleCSV10000(b *testing.B) {
	c := csvConfig(b)
	var sb strings.Builder
	sb.WriteString("name,email,agency,role,slack\n")
	for i := range 10_000 {
		ag, role := "csc", "practitioner"
		if i%2 == 1 {
			ag, role = "health", "line_manager"
		}
		fmt.Fprintf(&sb, "Person %d,person.%d@agency.example,%s,%s,U%07d\n", i, i, ag, role, i)
	}
	in := sb.String()
	b.ResetTimer()
	for b.Loop() {
		rows, err := c.ReadPeopleCSV(strings.NewReader(in), "people.csv")
		if err != nil || len(rows) != 10_000 {
			b.Fatal(err)
		}
	}
}
