package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// Load reads a dispute and its event log in one round trip (MULTI/EXEC, so
// the two agree). It wraps ErrNotFound when there is no such case.
func (s *Store) Load(ctx context.Context, ref string) (*workflow.Dispute, []workflow.Event, error) {
	var dj *redis.StringCmd
	var evs *redis.StringSliceCmd
	var texts *redis.MapStringStringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		dj = p.HGet(ctx, s.key("d:", ref), "j")
		evs = p.LRange(ctx, s.key("ev:", ref), 0, -1)
		texts = p.HGetAll(ctx, s.key("ex:", ref))
		return nil
	})
	if errors.Is(err, redis.Nil) || errors.Is(dj.Err(), redis.Nil) {
		return nil, nil, fmt.Errorf("load %s: %w", ref, errNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", ref, err)
	}
	d, err := s.decodeDispute(dj.Val())
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", ref, err)
	}
	tx := texts.Val()
	hist := make([]workflow.Event, 0, len(evs.Val()))
	for i, pub := range evs.Val() {
		e, err := s.decodeEvent(pub, tx[strconv.Itoa(i)])
		if err != nil {
			return nil, nil, fmt.Errorf("load %s: %w", ref, err)
		}
		hist = append(hist, e)
	}
	return d, hist, nil
}

// Dispute reads a dispute without its event log (one HGET): what most
// transitions need (see workflow.NeedsHistory). It wraps ErrNotFound when
// there is no such case.
func (s *Store) Dispute(ctx context.Context, ref string) (*workflow.Dispute, error) {
	raw, err := s.rdb.HGet(ctx, s.key("d:", ref), "j").Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %s: %w", ref, errNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	d, err := s.decodeDispute(raw)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return d, nil
}

// Disputes reads several disputes in one round trip; missing ones are
// skipped.
func (s *Store) Disputes(ctx context.Context, refs []string) ([]*workflow.Dispute, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.StringCmd, len(refs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ref := range refs {
			cmds[i] = p.HGet(ctx, s.key("d:", ref), "j")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %d disputes: %w", len(refs), err)
	}
	out := make([]*workflow.Dispute, 0, len(refs))
	for _, c := range cmds {
		if errors.Is(c.Err(), redis.Nil) {
			continue
		}
		if c.Err() != nil {
			return nil, fmt.Errorf("read disputes: %w", c.Err())
		}
		d, err := s.decodeDispute(c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Commit writes a transition in one atomic script: the dispute (checked
// against res.PrevVersion; 0 means it must not exist yet), its events (to
// its log and to the global stream), its timers, its outbox items, the
// indexes and the idempotency key. A stale version wraps
// ErrConflict, a repeated idempotency key ErrDuplicate; in
// both cases nothing is written. When res.PurgeHistory is set the free text
// of every event already logged is removed.
func (s *Store) Commit(ctx context.Context, res *workflow.Result, idempotencyKey string) error {
	relog, err := s.purgedLog(ctx, res)
	if err != nil {
		return err
	}
	args, err := s.commitArgs(res, idempotencyKey, relog)
	if err != nil {
		return err
	}
	return commitAnswer(res, commitScript.Run(ctx, s.rdb, []string{s.key("d:", res.Dispute.Ref)}, args...))
}

// CommitMany writes transitions of different cases in one round trip (a
// pipeline of commit scripts), each exactly as Commit writes it: each is
// all or nothing on its own, and errs[i] is what Commit would have
// returned for res[i]. The scheduler commits a batch of due timers so.
func (s *Store) CommitMany(ctx context.Context, res []*workflow.Result, keys []string) []error {
	errs := make([]error, len(res))
	argv := make([][]any, len(res))
	for i, r := range res {
		key := ""
		if i < len(keys) {
			key = keys[i]
		}
		var relog []string
		if relog, errs[i] = s.purgedLog(ctx, r); errs[i] == nil {
			argv[i], errs[i] = s.commitArgs(r, key, relog)
		}
	}
	run := func(todo []int) []*redis.Cmd {
		cmds := make([]*redis.Cmd, len(res))
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range todo {
				cmds[i] = commitScript.EvalSha(ctx, p, []string{s.key("d:", res[i].Dispute.Ref)}, argv[i]...)
			}
			return nil
		})
		return cmds
	}
	var todo []int
	for i := range res {
		if errs[i] == nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return errs
	}
	cmds := run(todo)
	if slices.ContainsFunc(todo, func(i int) bool { return redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") }) {
		// The server lost its script cache (a restart, a failover): load
		// the script and send those again. A script that did not run
		// wrote nothing, so sending it again is safe.
		if err := commitScript.Load(ctx, s.rdb).Err(); err != nil {
			for _, i := range todo {
				if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
					errs[i] = fmt.Errorf("commit %s: load the script: %w", res[i].Dispute.Ref, err)
				}
			}
		} else {
			again := slices.DeleteFunc(slices.Clone(todo), func(i int) bool { return !redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") })
			for i, c := range run(again) {
				if c != nil {
					cmds[i] = c
				}
			}
		}
	}
	for _, i := range todo {
		if errs[i] == nil {
			errs[i] = commitAnswer(res[i], cmds[i])
		}
	}
	return errs
}

// commitAnswer reads the commit script's answer as Commit returns it.
func commitAnswer(res *workflow.Result, cmd *redis.Cmd) error {
	ref := res.Dispute.Ref
	code, err := cmd.Int()
	if err != nil {
		return fmt.Errorf("commit %s: %w", ref, err)
	}
	switch code {
	case 1, 2:
		return nil
	case -1:
		return fmt.Errorf("commit %s: %w", ref, errDuplicate)
	case -2:
		return fmt.Errorf("commit %s at version %d: %w", ref, res.PrevVersion, errConflict)
	case -3:
		return fmt.Errorf("commit %s: %w", ref, errNotFound)
	}
	return fmt.Errorf("commit %s: unexpected answer %d", ref, code)
}

// commitArgs checks a result and lays it out as the commit script's
// arguments (see commitScript). Everything that can fail (encoding,
// encryption, a malformed result) fails here, before Redis is asked.
func (s *Store) commitArgs(res *workflow.Result, idempotencyKey string, relog []string) ([]any, error) {
	if res == nil || res.Dispute == nil {
		return nil, errors.New("commit: the result has no dispute")
	}
	d := res.Dispute
	if d.Ref == "" {
		return nil, errors.New("commit: the dispute has no reference")
	}
	if res.PrevVersion < 0 || d.Version <= res.PrevVersion {
		return nil, fmt.Errorf("commit %s: version %d does not follow %d", d.Ref, d.Version, res.PrevVersion)
	}
	dj, err := s.encodeDispute(d)
	if err != nil {
		return nil, err
	}
	entries, err := indexList(d)
	if err != nil {
		return nil, err
	}
	// The commit id lets the script recognise this very call when the
	// client retries it after losing the reply.
	commitID, err := newToken()
	if err != nil {
		return nil, err
	}
	args := []any{s.base, d.Ref, res.PrevVersion, d.Version, commitID, dj, idempotencyKey,
		IdempotencyTTL.Milliseconds(), flag(!d.State.Closed()), entries,
		flag(res.ClearTimers), flag(res.PurgeHistory)}

	args = append(args, len(res.Events))
	for _, e := range res.Events {
		if e.Ref != d.Ref {
			return nil, fmt.Errorf("commit %s: an event is for %s", d.Ref, e.Ref)
		}
		pub, text, err := s.encodeEvent(e)
		if err != nil {
			return nil, err
		}
		facts, err := streamFacts(e)
		if err != nil {
			return nil, err
		}
		args = append(args, pub, text, facts)
	}

	targs, err := timerArgs(d.Ref, res.Timers)
	if err != nil {
		return nil, err
	}
	args = append(args, targs...)

	at := d.UpdatedAt
	if at.IsZero() {
		at = s.now()
	}
	oargs, err := s.outboxArgs(res.Messages, at, false)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", d.Ref, err)
	}
	args = append(args, oargs...)
	keep, maxLen := s.streamCap()
	args = append(args, keep, maxLen, len(relog))
	for _, e := range relog {
		args = append(args, e)
	}
	return args, nil
}

// streamFacts is an event as the global stream carries it: what happened,
// to which case, when, at which stage and by which account, but not its
// summary (which names people) nor anyone's words. The stream is trimmed
// only approximately; what it carries must therefore be safe to outlive
// retention by a little.
func streamFacts(e workflow.Event) (string, error) {
	e = e.Purged()
	e.Summary = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode event %s/%d for the stream: %w", e.Ref, e.Seq, err)
	}
	return string(b), nil
}

// purgedLog is, for a purge, the case's log rewritten as a purged case
// keeps it (workflow.Event.Purged: no names, no summaries that carry
// them), to replace the log in the same script that commits the purge;
// nil for any other transition. The script's version check makes the
// read and the write one step: had anyone appended to the log in
// between, the commit would be a conflict and nothing written.
func (s *Store) purgedLog(ctx context.Context, res *workflow.Result) ([]string, error) {
	if res == nil || res.Dispute == nil || !res.PurgeHistory {
		return nil, nil
	}
	ref := res.Dispute.Ref
	raw, err := s.rdb.LRange(ctx, s.key("ev:", ref), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("purge %s: read its log: %w", ref, err)
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		var e workflow.Event
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("purge %s: event %d of its log: %w", ref, i, err)
		}
		b, err := json.Marshal(e.Purged())
		if err != nil {
			return nil, fmt.Errorf("purge %s: encode event %d: %w", ref, i, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

// streamCap is the event stream's cap as the commit script takes it: how
// long entries are kept (Options.StreamKeep, in ms) and the most entries
// kept (Options.StreamMaxLen); "" where there is none.
func (s *Store) streamCap() (keep, maxLen string) {
	if s.opts.StreamKeep > 0 {
		keep = strconv.FormatInt(s.opts.StreamKeep.Milliseconds(), 10)
	}
	switch {
	case s.opts.StreamMaxLen > 0:
		maxLen = strconv.FormatInt(s.opts.StreamMaxLen, 10)
	case s.opts.StreamMaxLen == 0:
		maxLen = strconv.FormatInt(DefaultStreamMaxLen, 10)
	}
	return keep, maxLen
}

// indexEntry is one index a case is in: a key suffix and, for the sorted
// ones (pd:, od:, oc:, open, closed, all), its score there ("" for a set).
type indexEntry struct{ key, score string }

// memberships are the indexes a case is in: while it is open, each
// person's deadline-ordered list (pd:<user>), its stage's deadline-ordered
// list (od:<stage>, od:<route>:<stage> on a route of the policy's, for the
// digest's counts and overdue list), each agency's set (oa:<agency>), the
// open cases by the time they were raised (oc:, for the board report's
// period) and by stage (open); once closed, the closed cases by closing
// time (closed); and always every case by creation time (all).
func memberships(d *workflow.Dispute) []indexEntry {
	created := d.CreatedAt
	if created.IsZero() {
		created = d.UpdatedAt
	}
	all := indexEntry{"all", micros(created)}
	if d.State.Closed() {
		closedAt := d.ClosedAt
		if closedAt.IsZero() {
			closedAt = d.UpdatedAt
		}
		return []indexEntry{{"closed", micros(closedAt)}, all}
	}
	var m []indexEntry
	dl := deadlineScore(d)
	for _, u := range d.Involved() {
		m = append(m, indexEntry{"pd:" + string(u), dl})
	}
	m = append(m, indexEntry{StageOf{Route: d.Route, Stage: max(d.Stage, 1)}.indexKey(), overdueScore(d)})
	for _, a := range []string{d.Raiser.Agency, d.Responder.Agency} {
		if a != "" && !slices.Contains(m, indexEntry{"oa:" + a, ""}) {
			m = append(m, indexEntry{"oa:" + a, ""})
		}
	}
	return append(m, indexEntry{"oc:", micros(created)}, indexEntry{"open", strconv.Itoa(max(d.Stage, 1))}, all)
}

// indexList is a case's index entries as the scripts take them and the
// case keeps them (field m of d:<ref>): "key\nscore\n" per entry. A
// transition compares it with the one kept and writes only the entries
// that changed. A key with a line break in it (an agency or person id no
// configuration should allow) is refused: it would not read back.
func indexList(d *workflow.Dispute) (string, error) {
	var b strings.Builder
	for _, e := range memberships(d) {
		if strings.ContainsAny(e.key, "\n") || strings.ContainsAny(e.score, "\n") {
			return "", fmt.Errorf("commit %s: an index key has a line break in it", d.Ref)
		}
		b.WriteString(e.key)
		b.WriteByte('\n')
		b.WriteString(e.score)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// deadlineScore orders a person's cases soonest deadline first (a case
// with no deadline first of all, as it needs looking at).
func deadlineScore(d *workflow.Dispute) string {
	if d.Deadline.IsZero() {
		return "0"
	}
	return micros(d.Deadline)
}

// overdueScore places a case in its stage's index so that the overdue
// ones are those scored at or before now, longest overdue first: its
// deadline (a case lapses only once its deadline has passed), 0 for a
// lapsed case with none, and never for an open case with no deadline.
func overdueScore(d *workflow.Dispute) string {
	switch {
	case !d.Deadline.IsZero():
		return micros(d.Deadline)
	case d.Lapsed:
		return "0"
	}
	return "+inf"
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// OpenFor lists the references of the open cases a person is involved in.
// It reads them all: pages are read with OpenPage.
func (s *Store) OpenFor(ctx context.Context, user workflow.UserID) ([]string, error) {
	refs, err := s.rdb.ZRange(ctx, s.key("pd:", string(user)), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("open cases of a person: %w", err)
	}
	slices.SortFunc(refs, compareRefs)
	return refs, nil
}

// OpenPage reads one page of a person's open cases, soonest deadline
// first: up to limit references from offset, and how many open cases the
// person has in all. Its cost is that of the page, however many cases the
// person holds.
func (s *Store) OpenPage(ctx context.Context, user workflow.UserID, offset, limit int) ([]string, int, error) {
	if offset < 0 || limit <= 0 {
		return nil, 0, errors.New("open cases of a person: offset must not be negative and limit must be positive")
	}
	k := s.key("pd:", string(user))
	var page *redis.StringSliceCmd
	var total *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		page = p.ZRange(ctx, k, int64(offset), int64(offset+limit-1))
		total = p.ZCard(ctx, k)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("a page of open cases of a person: %w", err)
	}
	return page.Val(), int(total.Val()), nil
}

// OpenByAgency lists the open cases an agency is party to (raiser's or
// responder's side).
func (s *Store) OpenByAgency(ctx context.Context, agency string) ([]string, error) {
	return s.members(ctx, s.key("oa:", agency), "open cases of an agency")
}

func (s *Store) members(ctx context.Context, key, what string) ([]string, error) {
	refs, err := s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	slices.SortFunc(refs, compareRefs)
	return refs, nil
}

// OpenRefs lists every open case.
func (s *Store) OpenRefs(ctx context.Context) ([]string, error) {
	refs, err := s.rdb.ZRange(ctx, s.key("open"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("open cases: %w", err)
	}
	slices.SortFunc(refs, compareRefs)
	return refs, nil
}

// OpenByStage groups the open cases by the stage they are at.
func (s *Store) OpenByStage(ctx context.Context) (map[int][]string, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.key("open"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("open cases by stage: %w", err)
	}
	out := map[int][]string{}
	for _, z := range zs {
		st := int(z.Score)
		out[st] = append(out[st], z.Member.(string))
	}
	for _, refs := range out {
		slices.SortFunc(refs, compareRefs)
	}
	return out, nil
}

// ClosedSince lists the cases closed at or after since, in closing order.
func (s *Store) ClosedSince(ctx context.Context, since time.Time) ([]string, error) {
	refs, err := s.rdb.ZRangeByScore(ctx, s.key("closed"), &redis.ZRangeBy{Min: micros(since), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("cases closed since: %w", err)
	}
	return refs, nil
}

// AllRefs lists every case ever raised, in the order they were raised.
func (s *Store) AllRefs(ctx context.Context) ([]string, error) {
	refs, err := s.rdb.ZRange(ctx, s.key("all"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("all cases: %w", err)
	}
	return refs, nil
}

// compareRefs orders ESC-2026-0042 before ESC-2026-10000 and by year.
func compareRefs(a, b string) int {
	ya, na := splitRef(a)
	yb, nb := splitRef(b)
	if ya != yb {
		return strings.Compare(ya, yb)
	}
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

func splitRef(r string) (string, int) {
	i := strings.LastIndexByte(r, '-')
	if i < 0 {
		return r, 0
	}
	n, err := strconv.Atoi(r[i+1:])
	if err != nil {
		return r, 0
	}
	return r[:i], n
}

// StreamEntry is one event of the global stream.
type StreamEntry struct {
	// ID is the stream id; pass the last one seen as afterID to read on.
	ID    string
	Event workflow.Event
}

// Stream reads up to count events of every case after afterID ("" or "0"
// from the beginning), oldest first. The stream itself holds no free text,
// no summaries and no names
// (it cannot be edited, and retention must be able to remove free text);
// the events' words are joined from their case's log, so a purged case's
// events come back without them.
func (s *Store) Stream(ctx context.Context, afterID string, count int64) ([]StreamEntry, error) {
	start := "-"
	if afterID != "" && afterID != "0" && afterID != "0-0" {
		start = "(" + afterID
	}
	if count <= 0 {
		count = 100
	}
	msgs, err := s.rdb.XRangeN(ctx, s.key("events"), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read the event stream: %w", err)
	}
	texts := make([]*redis.StringCmd, len(msgs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range msgs {
			if m.Values["x"] == "1" {
				ref, _ := m.Values["r"].(string)
				idx, _ := m.Values["i"].(string)
				texts[i] = p.HGet(ctx, s.key("ex:", ref), idx)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the event stream's text: %w", err)
	}
	out := make([]StreamEntry, 0, len(msgs))
	for i, m := range msgs {
		pub, _ := m.Values["e"].(string)
		text := ""
		if texts[i] != nil {
			text = texts[i].Val() // "" when purged
		}
		e, err := s.decodeEvent(pub, text)
		if err != nil {
			return nil, fmt.Errorf("stream entry %s: %w", m.ID, err)
		}
		out = append(out, StreamEntry{ID: m.ID, Event: e})
	}
	return out, nil
}
