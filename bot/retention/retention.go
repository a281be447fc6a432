// Package retention removes the free text of cases closed longer ago than
// the partnership keeps it: the people's words, the subject reference and
// the names the case learnt of people the directory does not list go
// (from the case and from the store's cache of platform names), while the steps, people, stages, dates and counts the board reports
// need stay. It runs the workflow's Purge command through the engine, so a
// purge is one atomic write like any other step, recorded in the case's
// log, and the store blanks the text of the events already logged.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// Store is what Purge reads (store.Store implements it).
type Store interface {
	// ClosedSince lists the cases closed at or after since, in closing order.
	ClosedSince(ctx context.Context, since time.Time) ([]string, error)
	Disputes(ctx context.Context, refs []string) ([]*workflow.Dispute, error)
	// ForgetPlatformNames drops the names kept of these people, learnt
	// from their platforms.
	ForgetPlatformNames(ctx context.Context, ids []workflow.UserID) error
}

// Case is a case purged (or, on a dry run, due to be).
type Case struct {
	Ref      string    `json:"ref"`
	ClosedAt time.Time `json:"closed_at"`
}

// Result says what a run did.
type Result struct {
	DryRun bool `json:"dry_run"`
	// Checked counts the closed cases looked at; Due those closed before
	// the cut-off and not yet purged.
	Checked int `json:"checked"`
	Due     int `json:"due"`
	// Purged counts the cases whose free text this run removed (none on a
	// dry run); Failed those it could not (see the error).
	Purged int    `json:"purged"`
	Failed int    `json:"failed"`
	Cases  []Case `json:"cases"`
}

// batch bounds how many disputes one read asks for.
const batch = 500

// conflictRetries is how often a purge is tried again when someone acted
// on the case at the same instant.
const conflictRetries = 3

// Purge removes the free text of every case closed before now-after and
// not yet purged. With dryRun it only counts them and changes nothing. It
// logs each case's reference and closing date, never what it said. A case
// it cannot purge does not stop the others: their errors are joined.
func Purge(ctx context.Context, st Store, eng *engine.Engine, now time.Time, after time.Duration, dryRun bool, log *slog.Logger) (Result, error) {
	res := Result{DryRun: dryRun}
	if after <= 0 {
		return res, fmt.Errorf("retention: the retention period must be positive, not %s", after)
	}
	if log == nil {
		log = slog.Default()
	}
	cutoff := now.Add(-after)
	refs, err := st.ClosedSince(ctx, time.Time{})
	if err != nil {
		return res, fmt.Errorf("retention: list the closed cases: %w", err)
	}
	var errs []error
	for i := 0; i < len(refs); i += batch {
		ds, err := st.Disputes(ctx, refs[i:min(i+batch, len(refs))])
		if err != nil {
			return res, fmt.Errorf("retention: read the closed cases: %w", err)
		}
		for _, d := range ds {
			if err := ctx.Err(); err != nil {
				return res, errors.Join(append(errs, err)...)
			}
			if d == nil || !d.State.Closed() {
				continue
			}
			res.Checked++
			closed := d.ClosedAt
			if closed.IsZero() {
				closed = d.UpdatedAt
			}
			if d.Purged || !closed.Before(cutoff) {
				continue
			}
			res.Due++
			c := Case{Ref: d.Ref, ClosedAt: closed}
			if dryRun {
				res.Cases = append(res.Cases, c)
				log.InfoContext(ctx, "retention: would purge", "ref", d.Ref, "closed", closed.Format(time.DateOnly))
				continue
			}
			// The names learnt for this case are forgotten first: should
			// the purge then fail, a name is looked up again when next
			// needed, and nothing of the case outlives it.
			err := st.ForgetPlatformNames(ctx, slices.Collect(maps.Keys(d.Names)))
			done := false
			if err == nil {
				done, err = purgeOne(ctx, eng, d.Ref, now)
			}
			switch {
			case err != nil:
				res.Failed++
				errs = append(errs, fmt.Errorf("retention: purge %s: %w", d.Ref, err))
				log.ErrorContext(ctx, "retention: purge failed", "ref", d.Ref, "error", errorKind(err))
			case done:
				res.Purged++
				res.Cases = append(res.Cases, c)
				log.InfoContext(ctx, "retention: purged free text", "ref", d.Ref, "closed", closed.Format(time.DateOnly))
			}
		}
	}
	log.InfoContext(ctx, "retention: run finished", "dry_run", dryRun, "cutoff", cutoff.Format(time.DateOnly),
		"checked", res.Checked, "due", res.Due, "purged", res.Purged, "failed", res.Failed)
	return res, errors.Join(errs...)
}

// purgeOne purges one case; done is false when another run purged it first.
func purgeOne(ctx context.Context, eng *engine.Engine, ref string, now time.Time) (done bool, err error) {
	cmd := workflow.Command{Kind: workflow.CmdPurge, Actor: workflow.SystemActor, At: now}
	for attempt := 0; ; attempt++ {
		_, err := eng.Do(ctx, ref, cmd, "purge:"+ref)
		var r *workflow.Refusal
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, engine.ErrDuplicate):
			return false, nil // another run's purge of this case was committed
		case errors.As(err, &r) && r.Code == workflow.RefuseState:
			return false, nil // already purged
		case errors.Is(err, engine.ErrConflict) && attempt < conflictRetries:
			continue // someone acted on it at the same instant: read it again
		}
		return false, err
	}
}

// errorKind describes an error for the log: a refusal by its code (its
// sentence is for people), anything else (the store's errors name
// references and versions, never a case's words) as it is.
func errorKind(err error) string {
	var r *workflow.Refusal
	if errors.As(err, &r) {
		return "refused: " + string(r.Code)
	}
	return err.Error()
}
