package record

import (
	"context"
	"fmt"
	"io"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// Render writes rec in format ("pdf", "html", "md" or "json").
func Render(w io.Writer, rec Record, format string) error {
	switch format {
	case "pdf":
		return PDF(w, rec)
	case "html":
		return HTML(w, rec)
	case "md", "markdown":
		return Markdown(w, rec)
	case "json":
		return JSON(w, rec)
	}
	return fmt.Errorf("unknown format %q: use pdf, html, md or json", format)
}

// Write writes the record of the case ref for an operator at the command
// line (escalate record ESC-2026-0042 --format pdf). The operator runs the
// deployment, so it reads the case as Escalate itself.
func Write(ctx context.Context, w io.Writer, eng *engine.Engine, ref string, format string) error {
	switch format {
	case "pdf", "html", "md", "markdown", "json":
	default:
		// Checked before the case is read: a typo costs nothing.
		return fmt.Errorf("unknown format %q: use pdf, html, md or json", format)
	}
	norm, ok := workflow.ParseRef(ref)
	if !ok {
		return fmt.Errorf("%q is not a case reference (ESC-2026-0042)", ref)
	}
	d, events, err := eng.Case(ctx, norm, workflow.SystemActor)
	if err != nil {
		return err
	}
	return Render(w, Build(eng.Env(), d, events), format)
}

// ForViewer is the record of the case ref for a person in chat. Only the
// people who held or were part of the case, the business team and the
// chair may see it; anyone else is told there is no such case they can
// see (a *workflow.Refusal), as for a case that does not exist.
func ForViewer(ctx context.Context, eng *engine.Engine, ref string, viewer workflow.UserID) (Record, error) {
	norm, ok := workflow.ParseRef(ref)
	if !ok {
		return Record{}, &workflow.Refusal{Code: workflow.RefuseInvalid, Message: fmt.Sprintf("%q is not a case reference (ESC-2026-0042)", ref)}
	}
	// A person's request never reads as Escalate itself.
	if viewer == "" || viewer == workflow.SystemActor {
		return Record{}, &workflow.Refusal{Code: workflow.RefuseUnknownCase, Message: fmt.Sprintf("there is no case %s that you can see", norm)}
	}
	d, events, err := eng.Case(ctx, norm, viewer)
	if err != nil {
		return Record{}, err
	}
	return Build(eng.Env(), d, events), nil
}
