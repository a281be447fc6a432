package report

import (
	"context"
	"fmt"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// DefaultPeriod is the last complete quarter before now, in loc:
// [1 Jan, 1 Apr), [1 Apr, 1 Jul), [1 Jul, 1 Oct) or [1 Oct, 1 Jan).
func DefaultPeriod(now time.Time, loc *time.Location) (from, to time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	q := (int(n.Month())-1)/3*3 + 1 // the first month of now's quarter
	to = time.Date(n.Year(), time.Month(q), 1, 0, 0, 0, 0, loc)
	from = time.Date(n.Year(), time.Month(q-3), 1, 0, 0, 0, 0, loc)
	return from, to
}

// ParsePeriod reads a period typed by a person as two dates, both days
// included ("2026-01-01" "2026-03-31" is the first quarter of 2026). It
// returns [from, to) with to the midnight after the last day.
func ParsePeriod(fromDate, toDate string, loc *time.Location) (from, to time.Time, err error) {
	if loc == nil {
		loc = time.UTC
	}
	f, err := time.ParseInLocation(time.DateOnly, fromDate, loc)
	if err != nil {
		return from, to, fmt.Errorf("the start date %q is not a date (YYYY-MM-DD)", fromDate)
	}
	l, err := time.ParseInLocation(time.DateOnly, toDate, loc)
	if err != nil {
		return from, to, fmt.Errorf("the end date %q is not a date (YYYY-MM-DD)", toDate)
	}
	if l.Before(f) {
		return from, to, fmt.Errorf("the period ends (%s) before it starts (%s)", toDate, fromDate)
	}
	return f, time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc), nil
}

// PeriodLabel is "1 Jan 2026 to 31 Mar 2026" for [1 Jan, 1 Apr).
func PeriodLabel(from, to time.Time) string {
	last := to.Add(-time.Nanosecond).In(to.Location())
	return from.Format("2 Jan 2006") + " to " + last.Format("2 Jan 2006")
}

// Store is what Load reads (store.Store implements it).
type Store interface {
	// PeriodRefs lists the cases open at some time in [from, to), from
	// the store's indexes.
	PeriodRefs(ctx context.Context, from, to time.Time) ([]string, error)
	// LoadMany reads several cases with their logs in one round trip.
	LoadMany(ctx context.Context, refs []string) ([]*workflow.Dispute, [][]workflow.Event, error)
}

var _ Store = (*store.Store)(nil)

// loadBatch bounds how many cases one read asks for.
const loadBatch = 200

// Load reads every case open at some time in [from, to), with its event
// log. Its cost is that of the cases in the period: the store lists them
// from its indexes (cases closed before the period, or raised after it,
// are never read), and reads them with their logs a batch to a round trip.
func Load(ctx context.Context, st Store, from, to time.Time) ([]CaseData, error) {
	refs, err := st.PeriodRefs(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("report: list the cases: %w", err)
	}
	var out []CaseData
	for i := 0; i < len(refs); i += loadBatch {
		ds, hists, err := st.LoadMany(ctx, refs[i:min(i+loadBatch, len(refs))])
		if err != nil {
			return nil, fmt.Errorf("report: read the cases: %w", err)
		}
		for j, d := range ds {
			if d == nil || !touches(d, from, to) {
				continue
			}
			out = append(out, CaseData{Dispute: d, Events: hists[j]})
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// touches reports whether the case was open at some time in [from, to).
func touches(d *workflow.Dispute, from, to time.Time) bool {
	if !d.CreatedAt.Before(to) {
		return false
	}
	if !d.State.Closed() {
		return true
	}
	closed := d.ClosedAt
	if closed.IsZero() {
		closed = d.UpdatedAt
	}
	return !closed.Before(from)
}
