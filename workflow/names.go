package workflow

// Names of people the directory does not list. A practitioner raising a
// case, and the one they raise it with, need not be in the directory: the
// adapter names them from their platform (Slack's real name and title,
// Teams' display name, Microsoft Graph) before the command is applied,
// passes those names in Command.Names, and the case keeps them
// (Dispute.Names) so that every message, record and report shows a
// person's name, never a platform id, for as long as the case lives.

import "strings"

// NameOf is how a person is shown on a case: the directory's name, else
// the name the case kept from the platform, else a neutral description
// (never a raw platform id).
func (d *Dispute) NameOf(dir *Directory, id UserID) string {
	if p, ok := dir.Person(id); ok && p.Name != "" {
		return p.Name
	}
	if d != nil {
		if n := strings.TrimSpace(d.Names[id]); n != "" {
			return n
		}
	}
	return dir.Name(id)
}

// keepNames records on the case the platform's names of the people it
// involves whom the directory does not name, as the command gave them.
// A name kept once stays: the record says what it said.
func (a *applier) keepNames() {
	if len(a.cmd.Names) == 0 {
		return
	}
	for _, id := range a.d.Involved() {
		if p, ok := a.env.Directory.Person(id); ok && p.Name != "" {
			continue
		}
		n := strings.TrimSpace(a.cmd.Names[id])
		if n == "" || a.d.Names[id] != "" {
			continue
		}
		if a.d.Names == nil {
			a.d.Names = map[UserID]string{}
		}
		a.d.Names[id] = n
	}
}

// Unnamed lists the people a command involves whom neither the directory
// nor the case can name: the ones an adapter looks up on the platform
// before applying it (the actor, the other practitioner of a raise, chosen
// holders, and the case's people).
func Unnamed(dir *Directory, d *Dispute, cmd Command) []UserID {
	ids := []UserID{cmd.Actor}
	if cmd.Raise != nil {
		ids = append(ids, cmd.Raise.Responder)
		if cmd.Raise.Holders != nil {
			ids = append(ids, cmd.Raise.Holders.All()...)
		}
	}
	if cmd.Holders != nil {
		ids = append(ids, cmd.Holders.All()...)
	}
	if d != nil {
		ids = append(ids, d.Involved()...)
	}
	var out []UserID
	for _, id := range uniq(ids) {
		if id == SystemActor || id.Platform() == "email" {
			continue
		}
		if p, ok := dir.Person(id); ok && p.Name != "" {
			continue
		}
		if d != nil && d.Names[id] != "" {
			continue
		}
		out = append(out, id)
	}
	return out
}

// neutralName describes someone nobody could name, by where they are.
func neutralName(id UserID) string {
	switch id.Platform() {
	case "slack":
		return "a Slack user"
	case "slackgroup":
		return "a Slack user group"
	case "teams":
		return "a Teams user"
	case "console":
		return "a practice-console user"
	case "email":
		return id.Local()
	}
	return "someone"
}
