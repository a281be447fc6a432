// Package engine runs workflow commands against the store: read the case,
// let the workflow decide, write the result in one atomic operation. Every
// adapter (Slack, Teams, the practice console) and the scheduler acts
// through it, so no platform has logic of its own.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Store is what the engine needs of persistence (store.Store implements it).
type Store interface {
	// NextRef allocates the next reference of the year: ESC-2026-0042.
	NextRef(ctx context.Context, year int) (string, error)
	// Load reads a dispute and its event log in one round trip;
	// it returns ErrNotFound (wrapped) when there is no such case.
	Load(ctx context.Context, ref string) (*workflow.Dispute, []workflow.Event, error)
	// Dispute reads a dispute without its log (ErrNotFound as Load).
	Dispute(ctx context.Context, ref string) (*workflow.Dispute, error)
	// Commit writes a result atomically, checked against res.PrevVersion.
	// A stale version returns an error satisfying errors.Is(err, ErrConflict);
	// a repeated idempotency key one satisfying errors.Is(err, ErrDuplicate).
	Commit(ctx context.Context, res *workflow.Result, idempotencyKey string) error
	// OpenPage reads a page of the references of the open cases a person
	// holds or is involved in, soonest deadline first, and how many there
	// are in all.
	OpenPage(ctx context.Context, user workflow.UserID, offset, limit int) ([]string, int, error)
	// Disputes reads several disputes (missing ones are skipped).
	Disputes(ctx context.Context, refs []string) ([]*workflow.Dispute, error)
}

// Handler is what the engine uses, when the store has it, to answer a raise
// submitted again with its reference (store.Store implements it).
type Handler interface {
	// Handled reports the case a transition with this idempotency key wrote.
	Handled(ctx context.Context, idempotencyKey string) (ref string, ok bool, err error)
}

var _ Handler = (*store.Store)(nil)

// The store's sentinel errors, re-exported so adapters can tell people
// what happened without knowing the store.
var (
	ErrNotFound  = store.ErrNotFound
	ErrConflict  = store.ErrConflict
	ErrDuplicate = store.ErrDuplicate
)

var _ Store = (*store.Store)(nil)

// Metrics receives one count per command outcome ("accepted", "refused",
// "conflict", "duplicate", "error"); nil means none.
type Metrics interface {
	Transition(kind workflow.CommandKind, outcome string)
}

// Namer names people the directory does not list, from their platform
// (bot/directory.Names implements it, caching what it learns in the store
// so that a person costs the platform one look-up, not one per message).
// It returns the names it found; a person it cannot name is left out, and
// the workflow shows them by a neutral description, never their id.
type Namer interface {
	Names(ctx context.Context, ids []workflow.UserID) map[workflow.UserID]string
}

// Engine runs commands. Its Env is the configuration's; the directory in
// it may be swapped while it serves (SetDirectory, on SIGHUP), each
// command seeing one directory or the other, never a mixture.
type Engine struct {
	store   Store
	env     atomic.Pointer[workflow.Env]
	now     func() time.Time
	log     *slog.Logger
	metrics Metrics
	namer   Namer
}

// UseNamer sets who names the people the directory does not list (nil:
// nobody; they are shown by a neutral description). Call it before the
// engine serves.
func (e *Engine) UseNamer(n Namer) { e.namer = n }

// name fills cmd.Names with the platform's names of the people the command
// involves whom neither the directory nor the case names.
func (e *Engine) name(ctx context.Context, d *workflow.Dispute, cmd *workflow.Command) {
	if e.namer == nil {
		return
	}
	ids := workflow.Unnamed(e.Env().Directory, d, *cmd)
	if len(ids) == 0 {
		return
	}
	if names := e.namer.Names(ctx, ids); len(names) > 0 {
		cmd.Names = names
	}
}

// New builds an engine. now is the clock (time.Now in production, a fake
// clock in tests and the practice console).
func New(s Store, env workflow.Env, now func() time.Time, log *slog.Logger, m Metrics) *Engine {
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{store: s, now: now, log: log, metrics: m}
	e.env.Store(&env)
	return e
}

// Env is the workflow environment (policy, directory, calendar): the
// directory as last set.
func (e *Engine) Env() workflow.Env { return *e.env.Load() }

// SetDirectory swaps the directory the engine's commands see from now on
// (a reload of the configuration file and the imported people); commands
// already running finish with the one they started with. The directory
// is not changed after it is handed over.
func (e *Engine) SetDirectory(d *workflow.Directory) {
	for {
		old := e.env.Load()
		next := *old
		next.Directory = d
		if e.env.CompareAndSwap(old, &next) {
			return
		}
	}
}

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.now() }

func (e *Engine) count(k workflow.CommandKind, outcome string) {
	if e.metrics != nil {
		e.metrics.Transition(k, outcome)
	}
}

// Raise validates the form first (so a bad form costs no reference), then
// allocates a reference and raises the case. Field problems come back as a
// *workflow.Refusal with Fields set.
func (e *Engine) Raise(ctx context.Context, actor workflow.UserID, in workflow.RaiseInput, idempotencyKey string) (*workflow.Result, error) {
	now := e.now()
	if errs := in.ValidateAt(e.Env(), actor, now); len(errs) > 0 {
		e.count(workflow.CmdRaise, "refused")
		return nil, &workflow.Refusal{Code: workflow.RefuseInvalid, Message: "some answers need a look", Fields: errs}
	}
	// A form submitted again costs no reference and is answered with the
	// first submission's.
	if dup := e.alreadyRaised(ctx, actor, idempotencyKey); dup != nil {
		e.count(workflow.CmdRaise, "duplicate")
		return nil, dup
	}
	ref, err := e.store.NextRef(ctx, now.In(e.Env().Calendar.Location()).Year())
	if err != nil {
		e.count(workflow.CmdRaise, "error")
		return nil, fmt.Errorf("allocate reference: %w", err)
	}
	in.Ref = ref
	cmd := workflow.Command{Kind: workflow.CmdRaise, Actor: actor, At: now, Raise: &in}
	e.name(ctx, nil, &cmd)
	res, err := workflow.Apply(e.Env(), nil, nil, cmd)
	if err != nil {
		e.count(cmd.Kind, "refused")
		return nil, err
	}
	err = e.commit(ctx, cmd, res, idempotencyKey)
	if errors.Is(err, ErrDuplicate) {
		// The same form, submitted twice at once: the other one won.
		if dup := e.alreadyRaised(ctx, actor, idempotencyKey); dup != nil {
			return nil, dup
		}
	}
	return res, err
}

// alreadyRaised is the case a raise with this idempotency key raised, when
// the person asking raised it (permission first: nobody else learns of it).
func (e *Engine) alreadyRaised(ctx context.Context, actor workflow.UserID, key string) *AlreadyRaised {
	h, ok := e.store.(Handler)
	if !ok || key == "" {
		return nil
	}
	ref, ok, err := h.Handled(ctx, key)
	if err != nil {
		e.log.WarnContext(ctx, "look up an idempotency key", "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	d, _, err := e.store.Load(ctx, ref)
	if err != nil || d.Raiser.Person != actor {
		return nil
	}
	return &AlreadyRaised{Ref: ref}
}

// Do runs a command on an existing case. cmd.At is set from the clock when
// zero. A conflict (someone else acted at the same instant) is returned to
// the caller, who tells the person; only notes, which cannot contradict
// anything, are retried.
func (e *Engine) Do(ctx context.Context, ref string, cmd workflow.Command, idempotencyKey string) (*workflow.Result, error) {
	if cmd.At.IsZero() {
		cmd.At = e.now()
	}
	for attempt := 0; ; attempt++ {
		d, hist, err := e.load(ctx, ref, cmd)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				// The same answer the workflow gives someone who may not
				// see an existing case.
				e.count(cmd.Kind, "refused")
				return nil, workflow.UnknownCase(ref)
			}
			e.count(cmd.Kind, "error")
			return nil, fmt.Errorf("load %s: %w", ref, err)
		}
		e.name(ctx, d, &cmd)
		res, err := workflow.Apply(e.Env(), d, hist, cmd)
		if err != nil {
			e.count(cmd.Kind, "refused")
			return nil, err
		}
		err = e.commit(ctx, cmd, res, idempotencyKey)
		if errors.Is(err, ErrConflict) && cmd.Kind == workflow.CmdComment && attempt < 3 {
			continue
		}
		return res, err
	}
}

// load reads what cmd needs: the dispute, and its log only when the
// workflow needs that (see workflow.NeedsHistory), so a click costs one
// read of the case however long its history. The two reads need not be
// one snapshot: if the case moved in between, the commit is refused as a
// conflict, as it would be for any stale read.
func (e *Engine) load(ctx context.Context, ref string, cmd workflow.Command) (*workflow.Dispute, []workflow.Event, error) {
	d, err := e.store.Dispute(ctx, ref)
	if err != nil || !workflow.NeedsHistory(d, cmd) {
		return d, nil, err
	}
	return e.store.Load(ctx, ref)
}

func (e *Engine) commit(ctx context.Context, cmd workflow.Command, res *workflow.Result, key string) error {
	return e.committed(ctx, cmd, res, e.store.Commit(ctx, res, key))
}

// committed counts and logs a commit's outcome.
func (e *Engine) committed(ctx context.Context, cmd workflow.Command, res *workflow.Result, err error) error {
	switch {
	case err == nil:
		e.count(cmd.Kind, "accepted")
		// Logs carry the reference, command and stage: never free text.
		e.log.InfoContext(ctx, "transition", "ref", res.Dispute.Ref, "command", cmd.Kind, "stage", res.Dispute.Stage, "version", res.Dispute.Version, "messages", len(res.Messages))
		return nil
	case errors.Is(err, ErrConflict):
		e.count(cmd.Kind, "conflict")
		return err
	case errors.Is(err, ErrDuplicate):
		e.count(cmd.Kind, "duplicate")
		return err
	}
	e.count(cmd.Kind, "error")
	return fmt.Errorf("commit %s %s: %w", res.Dispute.Ref, cmd.Kind, err)
}

// Case returns a case and its history to someone allowed to see it. A
// case that does not exist and a case the viewer may not see get the same
// refusal, byte for byte (workflow.UnknownCase): whether a case exists is
// itself not for everyone.
func (e *Engine) Case(ctx context.Context, ref string, viewer workflow.UserID) (*workflow.Dispute, []workflow.Event, error) {
	if viewer == "" {
		return nil, nil, workflow.UnknownCase(ref)
	}
	d, hist, err := e.store.Load(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, workflow.UnknownCase(ref)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", ref, err)
	}
	if viewer != workflow.SystemActor && !workflow.CanView(d, e.Env().Directory, viewer) {
		return nil, nil, workflow.UnknownCase(ref)
	}
	return d, hist, nil
}

// MyCases reads one page of a person's open cases, soonest deadline first:
// up to limit from offset, and how many there are in all. It reads only
// the cases on the page, so a person holding thousands of cases costs what
// the page shows.
func (e *Engine) MyCases(ctx context.Context, user workflow.UserID, offset, limit int) (Page, error) {
	refs, total, err := e.store.OpenPage(ctx, user, offset, limit)
	if err != nil {
		return Page{}, fmt.Errorf("open cases of a person: %w", err)
	}
	ds, err := e.store.Disputes(ctx, refs)
	if err != nil {
		return Page{}, fmt.Errorf("read open cases: %w", err)
	}
	// A case closing between the two reads is left off the page (the
	// index already agrees by the time anyone looks again).
	ds = slices.DeleteFunc(ds, func(d *workflow.Dispute) bool { return d.State.Closed() })
	return Page{Cases: ds, Offset: offset, Total: total}, nil
}

// RunTimer runs a due timer's command. A timer that outlived its stage is
// not an error: it simply does nothing. The timer's firing (its id, stage
// version and due time) is the idempotency key, so a timer run again after
// a crash between its commit and its acknowledgement returns ErrDuplicate
// instead of reminding people twice.
func (e *Engine) RunTimer(ctx context.Context, t workflow.Timer) (*workflow.Result, error) {
	res, err := e.Do(ctx, t.Ref, t.Command(e.now()), timerKey(t))
	if staleTimer(err) {
		return nil, nil
	}
	return res, err
}

// timerKey is a timer firing's idempotency key.
func timerKey(t workflow.Timer) string {
	return fmt.Sprintf("timer:%s|%d|%d", t.ID(), t.StageVersion, t.Due.UnixMicro())
}

// staleTimer: the workflow refused a timer because it outlived its stage
// or its case, which is not an error.
func staleTimer(err error) bool {
	var r *workflow.Refusal
	return errors.As(err, &r) && (r.Code == workflow.RefuseStaleTimer || r.Code == workflow.RefuseClosed || r.Code == workflow.RefuseUnknownCase)
}

// AlreadyRaised answers a raise form submitted again (a double click, a
// platform's retry, the browser's back button): the case the first
// submission raised. It satisfies errors.Is(err, ErrDuplicate).
type AlreadyRaised struct{ Ref string }

func (e *AlreadyRaised) Error() string { return "already raised as " + e.Ref }

// Is makes an AlreadyRaised an ErrDuplicate.
func (e *AlreadyRaised) Is(target error) bool { return target == ErrDuplicate }

// BatchStore is what RunTimers needs of the store besides Store: several
// commits in one round trip (store.Store implements it).
type BatchStore interface {
	CommitMany(ctx context.Context, res []*workflow.Result, keys []string) []error
}

var _ BatchStore = (*store.Store)(nil)

// TimerRun is the outcome of one timer of RunTimers, as RunTimer returns it.
type TimerRun struct {
	Res *workflow.Result
	Err error
}

// RunTimers runs due timers of different cases together, each exactly as
// RunTimer would: their cases are read in one round trip and their
// transitions committed in another, so a tick costs two round trips per
// batch rather than two per timer. Each timer succeeds or fails alone (a
// conflict is the caller's to retry, through RunTimer). A timer whose
// command needs the case's history, or a store that cannot commit several
// at once, is run through RunTimer.
func (e *Engine) RunTimers(ctx context.Context, ts []workflow.Timer) []TimerRun {
	out := make([]TimerRun, len(ts))
	bs, ok := e.store.(BatchStore)
	if !ok {
		for i, t := range ts {
			out[i].Res, out[i].Err = e.RunTimer(ctx, t)
		}
		return out
	}
	refs := make([]string, 0, len(ts))
	seen := map[string]bool{}
	for _, t := range ts {
		if !seen[t.Ref] {
			seen[t.Ref] = true
			refs = append(refs, t.Ref)
		}
	}
	if len(refs) != len(ts) {
		// Two timers of one case must run one after the other.
		for i, t := range ts {
			out[i].Res, out[i].Err = e.RunTimer(ctx, t)
		}
		return out
	}
	ds, err := e.store.Disputes(ctx, refs)
	if err != nil {
		for i := range out {
			out[i].Err = fmt.Errorf("load %s: %w", ts[i].Ref, err)
			e.count(ts[i].Command(time.Time{}).Kind, "error")
		}
		return out
	}
	byRef := make(map[string]*workflow.Dispute, len(ds))
	for _, d := range ds {
		byRef[d.Ref] = d
	}
	now := e.now()
	var (
		results []*workflow.Result
		keys    []string
		cmds    []workflow.Command
		at      []int
	)
	for i, t := range ts {
		cmd := t.Command(now)
		d := byRef[t.Ref]
		if d == nil {
			// Closed and gone, or never there: nothing to do, as RunTimer.
			e.count(cmd.Kind, "refused")
			continue
		}
		if workflow.NeedsHistory(d, cmd) {
			out[i].Res, out[i].Err = e.RunTimer(ctx, t)
			continue
		}
		res, err := workflow.Apply(e.Env(), d, nil, cmd)
		if err != nil {
			e.count(cmd.Kind, "refused")
			if !staleTimer(err) {
				out[i].Err = err
			}
			continue
		}
		results = append(results, res)
		keys = append(keys, timerKey(t))
		cmds = append(cmds, cmd)
		at = append(at, i)
	}
	if len(results) == 0 {
		return out
	}
	for j, err := range bs.CommitMany(ctx, results, keys) {
		i := at[j]
		out[i].Res, out[i].Err = results[j], e.committed(ctx, cmds[j], results[j], err)
	}
	return out
}
