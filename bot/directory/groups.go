package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// Entra ID groups and line managers: a directory entry may name a
// Microsoft Entra group (entragroup:<object id>) that holds a role in an
// agency, and a partnership may let each practitioner's manager in Entra
// ID hold the line manager's stage. Only Graph knows either, and Graph is
// asked on a schedule, not per message: Groups reads every group and
// manager, and only when every read succeeded replaces what the store
// keeps (store.PutGroupPeople). A Graph outage therefore changes nothing:
// the last members read keep holding their stages, and a metric and a
// log line say Graph could not be read.

// Member is a person Graph names: their Teams (Entra object) id, name and
// work address.
type Member struct {
	ID    workflow.UserID
	Name  string
	Email string
}

// GroupReader is Graph as Groups needs it (bot/graph implements it).
type GroupReader interface {
	// Members are a group's people, through nested groups.
	Members(ctx context.Context, groupID string) ([]Member, error)
	// ManagerOf is a person's manager; ErrNotFound when none is recorded.
	ManagerOf(ctx context.Context, id workflow.UserID) (Member, error)
}

// GroupStore keeps what Groups read (store.Store implements it).
type GroupStore interface {
	PutGroupPeople(ctx context.Context, people []workflow.Person, at time.Time) error
}

// Groups reads the directory's Entra groups and line managers.
type Groups struct {
	Graph   GroupReader
	Store   GroupStore
	Now     func() time.Time
	Log     *slog.Logger
	Metrics Metrics
	// LineManagers: each practitioner's Entra manager holds the line
	// manager's role in the practitioner's agency (graph.line_managers).
	LineManagers bool
}

// EntraGroupPlatform is the platform of a directory entry that names an
// Entra group rather than a person.
const EntraGroupPlatform = "entragroup"

// Refresh reads every Entra group named in dir and, with LineManagers,
// the manager of every practitioner on Teams, and keeps the people found,
// each holding the group's role in its agency. It is all or nothing: on
// any error nothing is kept, the error is returned, and the last members
// kept stay in use.
func (g *Groups) Refresh(ctx context.Context, dir *workflow.Directory) ([]workflow.Person, error) {
	var out []workflow.Person
	held := map[string]bool{} // id|agency|role already added
	add := func(p workflow.Person) {
		k := string(p.ID) + "|" + p.Agency + "|" + string(p.Role)
		if !held[k] {
			held[k] = true
			out = append(out, p)
		}
	}
	groups, managers := 0, 0
	for _, e := range dir.People {
		if e.ID.Platform() != EntraGroupPlatform {
			continue
		}
		groups++
		members, err := g.Graph.Members(ctx, e.ID.Local())
		if err != nil {
			return nil, g.down(fmt.Errorf("read the members of the Entra group for %s (%s): %w", e.Name, e.ID.Local(), err))
		}
		for _, m := range members {
			add(workflow.Person{ID: m.ID, Name: m.Name, Email: m.Email, Agency: e.Agency, Role: e.Role, TeamsTenant: e.TeamsTenant})
		}
	}
	if g.LineManagers {
		practitioners := append(append([]workflow.Person(nil), out...), dir.People...)
		for _, p := range practitioners {
			if p.Role != workflow.RolePractitioner || p.ID.Platform() != "teams" || p.Agency == "" {
				continue
			}
			m, err := g.Graph.ManagerOf(ctx, p.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, g.down(fmt.Errorf("read the manager of %s: %w", p.Name, err))
			}
			managers++
			add(workflow.Person{ID: m.ID, Name: m.Name, Email: m.Email, Agency: p.Agency, Role: workflow.RoleLineManager, TeamsTenant: p.TeamsTenant})
		}
	}
	if err := g.Store.PutGroupPeople(ctx, out, g.Now()); err != nil {
		return nil, fmt.Errorf("keep the Entra groups' members: %w", err)
	}
	if g.Metrics != nil {
		g.Metrics.Lookup("graph", "found")
	}
	g.log().Info("directory: Entra groups and managers read", "groups", groups, "managers", managers, "entries", len(out))
	return out, nil
}

// down counts and logs a read that failed: the last members kept stay.
func (g *Groups) down(err error) error {
	if g.Metrics != nil {
		g.Metrics.Lookup("graph", "unavailable")
	}
	g.log().Warn("directory: Microsoft Graph could not be read; the last known group members and managers stay in use", "err", err)
	return err
}

func (g *Groups) log() *slog.Logger {
	if g.Log == nil {
		return slog.Default()
	}
	return g.Log
}
