package scheduler

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// DigestInput is what the daily digest is made from: data only.
type DigestInput struct {
	Policy    *workflow.Policy
	Directory *workflow.Directory
	Calendar  Calendar
	// Open are the open cases; Closed the cases closed since Since.
	// With Counts, Open need only hold the longest overdue cases and
	// Closed the first closed: the figures come from Counts.
	Open   []*workflow.Dispute
	Closed []*workflow.Dispute
	Counts *DigestCounts
	Since  time.Time
	Now    time.Time
}

// DigestCounts are the digest's figures as the store's indexes keep them
// (store.DigestIndex), so the digest costs what it lists, not what is open.
type DigestCounts struct {
	OpenByStage    map[store.StageOf]int // open cases at each stage of each route
	OverdueByStage map[store.StageOf]int // of them, those whose window has closed
	Closed         int                   // cases closed since DigestInput.Since
}

// digestStages are the stages the digest counts: the main route's, then
// each of the policy's other routes'.
func digestStages(p *workflow.Policy) []store.StageOf {
	var out []store.StageOf
	for n := 1; n <= p.Last(); n++ {
		out = append(out, store.StageOf{Stage: n})
	}
	for _, r := range p.Routes {
		for n := 1; n <= len(r.Stages); n++ {
			out = append(out, store.StageOf{Route: r.ID, Stage: n})
		}
	}
	return out
}

// digestListMax bounds each list in the digest, so a large backlog still
// fits one channel post; the counts stay exact.
const digestListMax = 25

// Digest builds the business team's daily digest: open cases by stage, the
// overdue ones and for how long, and the cases closed since the last digest.
// It goes to a channel, so it carries no free text and no subject
// reference: only references, agencies, categories, stages and times.
func Digest(in DigestInput) workflow.Message {
	loc := in.Calendar.Location()
	when := func(t time.Time) string { return workflow.FormatTime(t, loc) }
	day := in.Now.In(loc)
	p, dir := in.Policy, in.Directory

	open := slices.DeleteFunc(slices.Clone(in.Open), func(d *workflow.Dispute) bool { return d == nil || d.State.Closed() })
	var overdue []*workflow.Dispute
	perStage := map[store.StageOf]int{}
	overduePerStage := map[store.StageOf]int{}
	for _, d := range open {
		at := store.StageOf{Route: routeOf(p, d), Stage: d.Stage}
		perStage[at]++
		if isOverdue(d, in.Now) {
			overdue = append(overdue, d)
			overduePerStage[at]++
		}
	}
	// Longest overdue first.
	slices.SortFunc(overdue, func(a, b *workflow.Dispute) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.Ref, b.Ref))
	})
	closed := slices.DeleteFunc(slices.Clone(in.Closed), func(d *workflow.Dispute) bool { return d == nil || !d.State.Closed() })
	slices.SortFunc(closed, func(a, b *workflow.Dispute) int {
		return cmp.Or(a.ClosedAt.Compare(b.ClosedAt), cmp.Compare(a.Ref, b.Ref))
	})
	openTotal, overdueTotal, closedTotal := len(open), len(overdue), len(closed)
	if c := in.Counts; c != nil {
		perStage, overduePerStage = c.OpenByStage, c.OverdueByStage
		openTotal, overdueTotal, closedTotal = 0, 0, c.Closed
		for _, st := range digestStages(p) {
			openTotal += perStage[st]
			overdueTotal += overduePerStage[st]
		}
	}

	lines := []string{"Open cases by stage:"}
	stageLine := func(name string, st store.StageOf) string {
		l := fmt.Sprintf("• %s: %d open", name, perStage[st])
		if overduePerStage[st] > 0 {
			l += fmt.Sprintf(", %d overdue", overduePerStage[st])
		}
		return l
	}
	for n := 1; n <= p.Last(); n++ {
		lines = append(lines, stageLine(p.StageName(n), store.StageOf{Stage: n}))
	}
	// Another route's stages are listed under its name, when it has open
	// cases: its stage 2 is not the main route's.
	for _, r := range p.Routes {
		rp, any := p.OnRoute(r), false
		for n := 1; n <= rp.Last(); n++ {
			any = any || perStage[store.StageOf{Route: r.ID, Stage: n}] > 0
		}
		if !any {
			continue
		}
		lines = append(lines, r.Name+":")
		for n := 1; n <= rp.Last(); n++ {
			lines = append(lines, stageLine(rp.StageName(n), store.StageOf{Route: r.ID, Stage: n}))
		}
	}
	caseLine := func(d *workflow.Dispute) string {
		return fmt.Sprintf("%s · %s · %s ↔ %s · %s", d.Ref, p.For(d).StageName(d.Stage),
			dir.AgencyName(d.Raiser.Agency), dir.AgencyName(d.Responder.Agency), d.Category.Label())
	}
	if overdueTotal == 0 {
		lines = append(lines, "No case is overdue.")
	} else {
		lines = append(lines, fmt.Sprintf("Overdue (%d):", overdueTotal))
		for _, d := range overdue[:min(len(overdue), digestListMax)] {
			lines = append(lines, fmt.Sprintf("• %s · window closed %s · overdue %s", caseLine(d), when(d.Deadline), overdueFor(in.Calendar, d.Deadline, in.Now)))
		}
		if more := overdueTotal - min(len(overdue), digestListMax); more > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more overdue", more))
		}
	}
	if closedTotal == 0 {
		lines = append(lines, "No case closed since "+when(in.Since)+".")
	} else {
		lines = append(lines, fmt.Sprintf("Closed since %s (%d):", when(in.Since), closedTotal))
		for _, d := range closed[:min(len(closed), digestListMax)] {
			how := "resolved"
			if d.State == workflow.StateWithdrawn {
				how = "withdrawn"
			} else if d.Outcome != nil && d.Outcome.ResolvedByChair {
				how = "resolved by the chair"
			}
			lines = append(lines, fmt.Sprintf("• %s · %s %s", caseLine(d), how, when(d.ClosedAt)))
		}
		if more := closedTotal - min(len(closed), digestListMax); more > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more closed", more))
		}
	}
	date := day.Format(time.DateOnly)
	return workflow.Message{
		ID:    "digest:" + date,
		Kind:  workflow.MsgDigest,
		Feed:  true,
		Title: "Daily digest for " + day.Format("Monday 2 January 2006"),
		Lines: lines,
		Facts: []workflow.Fact{
			{Label: "Open", Value: fmt.Sprint(openTotal)},
			{Label: "Overdue", Value: fmt.Sprint(overdueTotal)},
			{Label: "Closed since " + when(in.Since), Value: fmt.Sprint(closedTotal)},
		},
	}
}

// routeOf is the route of the policy's a case follows ("" the main one,
// also for a route the policy no longer has).
func routeOf(p *workflow.Policy, d *workflow.Dispute) string {
	for _, r := range p.Routes {
		if r.ID == d.Route {
			return r.ID
		}
	}
	return ""
}

// isOverdue: the window closed (or the workflow already marked it lapsed).
func isOverdue(d *workflow.Dispute, now time.Time) bool {
	return d.Lapsed || (!d.Deadline.IsZero() && !now.Before(d.Deadline))
}

// overdueFor says how long ago the window closed, in whole working days.
func overdueFor(cal Calendar, deadline, now time.Time) string {
	switch n := int(cal.WorkingDaysBetween(deadline, now)); {
	case n <= 0:
		return "less than a working day"
	case n == 1:
		return "1 working day"
	default:
		return fmt.Sprintf("%d working days", n)
	}
}

// digestLock is how long one replica holds the day's digest while it
// builds and enqueues it; should it die meanwhile, another takes over after.
const digestLock = 10 * time.Minute

// digestIfDue sends today's digest once its time has passed, on working
// days only. It is checked on every tick, so a digest missed while the
// service was down goes when it comes back, and cron drift does not matter.
//
// One digest a day however many replicas tick: a replica takes the day
// with the store's Once key ("digest:<date>", held for digestLock), and
// records the day as sent once the digest is in the outbox. A replica that
// dies in between only delays the digest until the lock runs out; the
// outbox recognises the day's digest by its ID should two ever enqueue it.
func (s *Scheduler) digestIfDue(ctx context.Context, now time.Time) (bool, error) {
	if s.opts.DigestOff {
		return false, nil
	}
	local := now.In(s.cal.Location())
	date := local.Format(time.DateOnly)
	if s.digestDay == date || !s.cal.IsWorkingDay(local) || local.Before(s.digestTime(local)) {
		return false, nil
	}
	if _, sent, err := s.store.GetRef(ctx, digestSentKind, date); err != nil {
		return false, fmt.Errorf("read whether the digest of %s was sent: %w", date, err)
	} else if sent {
		s.digestDay = date // sent by another replica (or before a restart)
		return false, nil
	}
	first, err := s.store.Once(ctx, "digest:"+date, digestLock)
	if err != nil {
		return false, fmt.Errorf("claim the digest of %s: %w", date, err)
	}
	if !first {
		return false, nil // another replica is sending it
	}
	msg, since, err := s.buildDigest(ctx, now)
	if err != nil {
		return false, err
	}
	if err := s.store.Enqueue(ctx, []workflow.Message{msg}); err != nil {
		return false, fmt.Errorf("enqueue the digest of %s: %w", date, err)
	}
	stamp := now.UTC().Format(time.RFC3339Nano)
	if err := s.store.SetRef(ctx, digestSentKind, date, stamp); err != nil {
		return true, fmt.Errorf("record the digest of %s as sent: %w", date, err)
	}
	if err := s.store.SetRef(ctx, digestSentKind, digestLastKey, stamp); err != nil {
		return true, fmt.Errorf("record the time of the digest: %w", err)
	}
	s.digestDay = date
	s.log.InfoContext(ctx, "scheduler: daily digest enqueued", "date", date, "since", since)
	return true, nil
}

// The store's platform-reference map "digest-sent" holds, per date, when
// that day's digest went, and under "last" the time of the latest one (the
// next digest lists the cases closed since).
const (
	digestSentKind = "digest-sent"
	digestLastKey  = "last"
)

// buildDigest reads the digest's figures from the store's indexes and
// only the cases it lists: its cost is that of the digest, not of the
// cases open.
func (s *Scheduler) buildDigest(ctx context.Context, now time.Time) (workflow.Message, time.Time, error) {
	since := s.previousDigest(now)
	if v, ok, err := s.store.GetRef(ctx, digestSentKind, digestLastKey); err != nil {
		return workflow.Message{}, since, fmt.Errorf("read the last digest time: %w", err)
	} else if ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.Before(now) {
			since = t
		}
	}
	idx, err := s.store.DigestIndex(ctx, digestStages(s.env.Policy), now, since, digestListMax)
	if err != nil {
		return workflow.Message{}, since, err
	}
	overdue, err := s.store.Disputes(ctx, idx.Overdue)
	if err != nil {
		return workflow.Message{}, since, fmt.Errorf("read the overdue cases: %w", err)
	}
	closed, err := s.store.Disputes(ctx, idx.ClosedRefs)
	if err != nil {
		return workflow.Message{}, since, fmt.Errorf("read the cases closed since the last digest: %w", err)
	}
	counts := &DigestCounts{OpenByStage: idx.OpenByStage, OverdueByStage: idx.OverdueByStage, Closed: idx.Closed}
	return Digest(DigestInput{Policy: s.env.Policy, Directory: s.env.Directory, Calendar: s.cal, Open: overdue, Closed: closed,
		Counts: counts, Since: since, Now: now}), since, nil
}

// previousDigest is when the last working day's digest was due: the "closed
// since" of the first digest, before any has been recorded.
func (s *Scheduler) previousDigest(now time.Time) time.Time {
	loc := s.cal.Location()
	y, m, d := now.In(loc).Date()
	for i := 1; i <= 31; i++ {
		day := time.Date(y, m, d-i, 12, 0, 0, 0, loc)
		if s.cal.IsWorkingDay(day) {
			return s.digestTime(day)
		}
	}
	return now.Add(-24 * time.Hour)
}

// digestTime is the digest's time on the calendar day of t, by the wall
// clock (so it stays 09:00 across the clocks changing).
func (s *Scheduler) digestTime(t time.Time) time.Time {
	loc := s.cal.Location()
	y, m, d := t.In(loc).Date()
	at := s.opts.DigestAt
	return time.Date(y, m, d, int(at/time.Hour), int(at%time.Hour/time.Minute), int(at%time.Minute/time.Second), 0, loc)
}

// readChunk bounds one read of many disputes.
const readChunk = 500

// BuildDigest builds the digest due at now without sending it (for
// `escalate bench`, which times it): the figures and lists the digest
// would carry, from the store's indexes.
func (s *Scheduler) BuildDigest(ctx context.Context, now time.Time) (workflow.Message, error) {
	m, _, err := s.buildDigest(ctx, now)
	return m, err
}
