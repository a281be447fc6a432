package config

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// The people CSV that `escalate directory import` reads: one row a person,
// a header naming the columns (in any order, any case): name, email,
// agency, role, and optionally slack and teams. It is checked against the
// configuration as the YAML directory is: known agencies, the policy's
// roles, well-formed ids and addresses, nobody twice. A problem names the
// row by its line in the file and the column, and a file with any problem
// imports nothing.

// ImportRow is one checked row of a people CSV.
type ImportRow struct {
	Line   int // the row's line in the file (the header is line 1)
	Name   string
	Email  string // lower case; "" when none
	Agency string
	Role   workflow.Role
	Slack  string // a Slack member id, "" when the file gives none
	Teams  string // a Microsoft Entra object id (lower case) or 29:…, "" when none
}

// NeedsLookUp reports whether the row names no chat id, so its email must be
// looked up on the platforms.
func (r ImportRow) NeedsLookUp() bool { return r.Slack == "" && r.Teams == "" }

// importColumns are the columns a people CSV may have, and whether each is
// required.
var importColumns = map[string]bool{"name": true, "email": true, "agency": true, "role": true, "slack": false, "teams": false}

// maxImportRows bounds a file: a partnership's staff, with room to spare.
const maxImportRows = 200_000

// ReadPeopleCSV reads and checks a people CSV. source names the file in
// problems. The rows come back in the file's order; any problem returns a
// *Error listing every one.
func (c *Config) ReadPeopleCSV(r io.Reader, source string) ([]ImportRow, error) {
	probs := newProblems()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row is reported by its line, not as a parse failure
	cr.TrimLeadingSpace = true
	fail := func() error { return &Error{Source: source, Problems: probs.list} }
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		probs.add("line 1", "the file is empty: its first line names the columns (%s)", columnList())
		return nil, fail()
	}
	if err != nil {
		probs.add("line 1", "is not CSV: %s", csvProblem(err))
		return nil, fail()
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, ok := importColumns[h]; !ok {
			probs.add("line 1", "unknown column %q: the columns are %s", header[i], columnList())
			continue
		}
		if _, dup := col[h]; dup {
			probs.add("line 1", "the column %q is named twice", h)
			continue
		}
		col[h] = i
	}
	for name, required := range importColumns {
		if _, ok := col[name]; required && !ok {
			probs.add("line 1", "the column %q is missing: the columns are %s", name, columnList())
		}
	}
	if len(probs.list) > 0 {
		return nil, fail()
	}

	b := &directoryBuilder{policy: c.Policy, probs: probs, seen: map[workflow.UserID]string{}, agency: map[string]bool{}}
	for _, a := range c.Directory.Agencies {
		b.agency[a.ID] = true
	}
	emails := map[string]int{}
	var rows []ImportRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			probs.add(fmt.Sprintf("line %d", line), "is not CSV: %s", csvProblem(err))
			if !errors.As(err, &pe) {
				break // not a line's fault (the reader failed): nothing more can be read
			}
			if len(probs.list) > 100 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= maxImportRows {
			probs.add(fmt.Sprintf("line %d", line), "the file has more than %d people: split it", maxImportRows)
			break
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue // a blank line
		}
		path := fmt.Sprintf("line %d", line)
		row := ImportRow{Line: line, Name: get("name"), Agency: get("agency"), Role: workflow.Role(get("role"))}
		switch {
		case row.Name == "":
			probs.add(path+", name", "is required")
		case strings.ContainsAny(row.Name, "\r\n\t") || len(row.Name) > 200:
			probs.add(path+", name", "must be a person's name on one line (200 characters at most)")
		}
		switch {
		case row.Role == "":
			probs.add(path+", role", "is required: one of %s", strings.Join(c.Policy.RoleNames(), ", "))
		case !c.Policy.KnownRole(row.Role):
			probs.add(path+", role", "unknown role %q; use one of %s", row.Role, strings.Join(c.Policy.RoleNames(), ", "))
		case row.Role == workflow.RoleChair:
			probs.add(path+", role", "the partnership chair is listed in the configuration file (directory.chair), not imported")
		}
		switch {
		case row.Agency == "":
			probs.add(path+", agency", "is required: the id of one of directory.agencies")
		case !b.agency[row.Agency]:
			probs.add(path+", agency", "unknown agency %q; it must be one of %s", row.Agency, strings.Join(agencyIDs(c), ", "))
		}
		if raw := get("email"); raw != "" {
			addr, ok := workflow.NormalEmail(raw)
			switch {
			case !ok:
				probs.add(path+", email", "must be an email address (name@agency.org), not %q", raw)
			case emails[addr] != 0:
				probs.add(path+", email", "%s is also on line %d", addr, emails[addr])
			default:
				emails[addr], row.Email = line, addr
			}
		}
		if s := get("slack"); s != "" {
			if slackUserPattern.MatchString(s) {
				row.Slack = s
			} else {
				probs.add(path+", slack", "must be a Slack member id (U… or W…, from the person's profile), not %q", s)
			}
		}
		if t := get("teams"); t != "" {
			switch {
			case teamsAADPattern.MatchString(t):
				row.Teams = strings.ToLower(t)
			case strings.HasPrefix(t, "29:") && len(t) > 3:
				row.Teams = t
			default:
				probs.add(path+", teams", "must be a Microsoft Entra (Azure AD) object id, or a Teams user id (29:…), not %q", t)
			}
		}
		if row.NeedsLookUp() && row.Email == "" && get("email") == "" {
			probs.add(path, "needs an email address, or a slack or teams id")
		}
		for _, id := range row.ids() {
			if first, dup := b.seen[id]; dup {
				probs.add(path, "%s is also on %s", id, first)
			}
			b.seen[id] = path
		}
		rows = append(rows, row)
	}
	if len(probs.list) > 0 {
		return nil, fail()
	}
	if len(rows) == 0 {
		probs.add("line 2", "the file lists nobody")
		return nil, fail()
	}
	return rows, nil
}

// ids are the platform ids the row gives (an email address counts only
// when the row has no chat id: the person is then reached by email).
func (r ImportRow) ids() []workflow.UserID {
	var ids []workflow.UserID
	if r.Slack != "" {
		ids = append(ids, workflow.UserID(platformSlack+":"+r.Slack))
	}
	if r.Teams != "" {
		ids = append(ids, workflow.UserID(platformTeams+":"+r.Teams))
	}
	if len(ids) == 0 && r.Email != "" {
		ids = append(ids, workflow.UserID(platformEmail+":"+r.Email))
	}
	return ids
}

// People are the directory entries of the rows: one per platform id, as
// the YAML's people are. A person the configuration file already lists
// (by any of their ids) is left out: the file wins, so an administrator's
// correction there is never undone by an import. Skipped counts them.
func (c *Config) People(rows []ImportRow) (people []workflow.Person, skipped int) {
	inFile := map[workflow.UserID]bool{}
	for _, p := range c.Directory.People {
		inFile[p.ID] = true
	}
	for _, r := range rows {
		ids := r.ids()
		listed := false
		for _, id := range ids {
			listed = listed || inFile[id]
		}
		if listed {
			skipped++
			continue
		}
		for _, id := range ids {
			people = append(people, workflow.Person{ID: id, Name: r.Name, Agency: r.Agency, Role: r.Role, Email: r.Email})
		}
	}
	return people, skipped
}

// WithImported is the directory with the imported people added after the
// file's own (the file's entry wins for anyone listed in both).
func WithImported(dir workflow.Directory, imported []workflow.Person) workflow.Directory {
	if len(imported) == 0 {
		return dir
	}
	seen := make(map[workflow.UserID]bool, len(dir.People))
	for _, p := range dir.People {
		seen[p.ID] = true
	}
	out := dir
	out.People = append(make([]workflow.Person, 0, len(dir.People)+len(imported)), dir.People...)
	for _, p := range imported {
		if !seen[p.ID] {
			seen[p.ID] = true
			out.People = append(out.People, p)
		}
	}
	return out
}

// StillValid keeps the imported people whose agency and role the
// configuration still has (it may have changed since the import).
func (c *Config) StillValid(people []workflow.Person) (kept []workflow.Person, dropped int) {
	for _, p := range people {
		if _, ok := c.Directory.Agency(p.Agency); ok && c.Policy.KnownRole(p.Role) {
			kept = append(kept, p)
		} else {
			dropped++
		}
	}
	return kept, dropped
}

func columnList() string {
	return "name, email, agency, role, and optionally slack and teams"
}

func agencyIDs(c *Config) []string {
	ids := make([]string, len(c.Directory.Agencies))
	for i, a := range c.Directory.Agencies {
		ids[i] = a.ID
	}
	return ids
}

// csvProblem says what is wrong with a line of CSV, without Go's framing.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
