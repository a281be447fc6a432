package workflow

import "strings"

// Agency is a partner organisation (children's social care, an NHS trust,
// a school, the police...).
type Agency struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// TeamsTenant is the Microsoft Entra tenant the agency's people use
	// Teams in ("" when none is said). The workflow only carries it: the
	// Teams adapter sends through that tenant's bot registration.
	TeamsTenant string `json:"teams_tenant,omitempty"`
	// HeldBy is a third agency whose managers hold this agency's side above
	// the practitioners (an ICB's safeguarding team acting for a GP
	// practice), unless the agency lists its own holder of the role.
	HeldBy string `json:"held_by,omitempty"`
}

// Person is someone the directory knows: who they are on one platform, their
// agency and the role they hold there. Someone on no chat platform is known
// by their email address (ID "email:<address>").
type Person struct {
	ID     UserID `json:"id"`
	Name   string `json:"name"`
	Agency string `json:"agency"`
	Role   Role   `json:"role"`
	// TeamsTenant overrides the agency's tenant for this person ("": the
	// agency's).
	TeamsTenant string `json:"teams_tenant,omitempty"`
	// Email is the person's work address when the directory has it (the
	// file's email, an imported row's): what `escalate directory export`
	// writes back and Microsoft Graph finds them by.
	Email string `json:"email,omitempty"`
}

// Directory says who holds each role in each agency, who the business team
// is and who chairs the partnership. It is configuration, handed to Apply as
// data; the workflow never looks anyone up elsewhere.
type Directory struct {
	Agencies     []Agency `json:"agencies"`
	People       []Person `json:"people"`
	BusinessTeam []UserID `json:"business_team"`
	Chair        []UserID `json:"chair"`
}

// Agency finds an agency by id.
func (d *Directory) Agency(id string) (Agency, bool) {
	for _, a := range d.Agencies {
		if a.ID == id {
			return a, true
		}
	}
	return Agency{}, false
}

// AgencyName is the agency's name, or its id when unknown.
func (d *Directory) AgencyName(id string) string {
	if a, ok := d.Agency(id); ok && a.Name != "" {
		return a.Name
	}
	return id
}

// Person finds a person by id.
func (d *Directory) Person(id UserID) (Person, bool) {
	for _, p := range d.People {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

// TeamsTenant is the Microsoft Entra tenant a person uses Teams in: their
// own when the directory says one, else their agency's; "" when neither
// says.
func (d *Directory) TeamsTenant(id UserID) string {
	p, ok := d.Person(id)
	if !ok {
		return ""
	}
	if p.TeamsTenant != "" {
		return p.TeamsTenant
	}
	if a, ok := d.Agency(p.Agency); ok {
		return a.TeamsTenant
	}
	return ""
}

// Name is the person's name as the directory knows it, or a neutral
// fallback (never a raw platform id in a message). A case names the
// people the directory does not list: see Dispute.NameOf.
func (d *Directory) Name(id UserID) string {
	if id == SystemActor {
		return "Escalate"
	}
	if p, ok := d.Person(id); ok && p.Name != "" {
		return p.Name
	}
	return neutralName(id)
}

// Holders are the people who hold a role in an agency.
func (d *Directory) Holders(agency string, role Role) []UserID {
	if role == RoleChair {
		return append([]UserID(nil), d.Chair...)
	}
	ids := d.own(agency, role)
	if len(ids) == 0 && role != RolePractitioner {
		if a, ok := d.Agency(agency); ok && a.HeldBy != "" {
			return d.own(a.HeldBy, role)
		}
	}
	return ids
}

func (d *Directory) own(agency string, role Role) []UserID {
	var ids []UserID
	for _, p := range d.People {
		if p.Agency == agency && p.Role == role {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// SideName names the agency whose side a stage's role is held for: the
// agency, or "Anyshire ICB, for Riverside Surgery" when a third agency
// holds it (Agency.HeldBy).
func (d *Directory) SideName(agency string, role Role) string {
	if a, ok := d.Agency(agency); ok && a.HeldBy != "" && role != RolePractitioner && role != RoleChair && len(d.own(agency, role)) == 0 {
		return d.AgencyName(a.HeldBy) + ", for " + d.AgencyName(agency)
	}
	return d.AgencyName(agency)
}

// InBusinessTeam reports whether the person is in the partnership's business team.
func (d *Directory) InBusinessTeam(id UserID) bool { return contains(d.BusinessTeam, id) }

// IsChair reports whether the person chairs the partnership.
func (d *Directory) IsChair(id UserID) bool { return contains(d.Chair, id) }

func contains(ids []UserID, id UserID) bool {
	for _, k := range ids {
		if k == id {
			return true
		}
	}
	return false
}

// NormalEmail checks that s looks like one email address (local@domain, no
// spaces, no display name) and returns it in lower case, so that one person
// has one email id however their address was typed.
func NormalEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(s, " \t\r\n<>,;:\"()[]\\") || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", false
	}
	return s, true
}

// EmailUser is the id of someone reached by email alone.
func EmailUser(addr string) UserID { return UserID("email:" + addr) }
