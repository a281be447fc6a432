package htmlui

import (
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// CaseList is one page of a person's open cases, as the shared "cases"
// template renders it.
type CaseList struct {
	Heading string
	Cases   []CaseRow
	// PrevPage and NextPage are the neighbouring pages' numbers (0: none).
	PrevPage, NextPage int
}

// CaseRow is one open case in a list.
type CaseRow struct {
	Ref, Stage, Deadline, State string
	Lapsed                      bool
}

// ListOf is the list of a page of open cases, pages of size, with times
// shown by when.
func ListOf(env workflow.Env, pg engine.Page, size int, when func(time.Time) string) CaseList {
	l := CaseList{Heading: pg.Heading()}
	if n := pg.Number(size); n > 1 {
		l.PrevPage = n - 1
	}
	if pg.More() > 0 {
		l.NextPage = pg.Number(size) + 1
	}
	for _, d := range pg.Cases {
		l.Cases = append(l.Cases, CaseRow{Ref: d.Ref, Stage: env.Policy.For(d).StageName(d.Stage), Deadline: when(d.Deadline), State: d.State.Label(), Lapsed: d.Lapsed})
	}
	return l
}
