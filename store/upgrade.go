package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// indexSchema is the version of the index layout this package writes:
// 2 is the deadline-ordered per-person and per-stage indexes (pd:, od:)
// that replaced the per-person sets (op:); 3 scores a lapsed case in its
// stage's index by its deadline (it was 0), so the digest lists the
// longest overdue first straight from the index, and adds the open cases
// by raising time (oc:) for the board report; 4 keeps the cases on a
// route of the policy's in stage indexes of that route's own
// (od:<route>:<stage>), so the digest counts each route's stages apart; 5
// keeps a case's index entries on the case (field m of d:<ref>, with
// their scores, open, closed and all among them) in place of its
// mem:<ref> set, so a transition writes only the entries that changed
// (a case not yet upgraded is moved to it by its next transition too).
const indexSchema = "5"

// UpgradeIndexes brings the indexes of a store written by an earlier
// version up to this one's layout, once: every open case is put in the
// indexes it belongs in, in slices of reindexSlice, and "schema" records
// that it is done, so later starts cost one GET. It is safe while
// transitions run (a case that moves meanwhile is indexed by its own
// transition) and when several replicas start at once (reindexing is
// idempotent). It returns how many cases it reindexed.
func (s *Store) UpgradeIndexes(ctx context.Context) (int, error) {
	cur, err := s.rdb.Get(ctx, s.key("schema")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read the index schema: %w", err)
	}
	if cur == indexSchema {
		return 0, nil
	}
	if err := reindexScript.Load(ctx, s.rdb).Err(); err != nil {
		return 0, fmt.Errorf("upgrade the indexes: load the script: %w", err)
	}
	n := 0
	for start := int64(0); ; start += reindexSlice {
		refs, err := s.rdb.ZRange(ctx, s.key("open"), start, start+reindexSlice-1).Result()
		if err != nil {
			return n, fmt.Errorf("upgrade the indexes: list open cases: %w", err)
		}
		if len(refs) == 0 {
			break
		}
		ds, err := s.Disputes(ctx, refs)
		if err != nil {
			return n, fmt.Errorf("upgrade the indexes: %w", err)
		}
		cmds := make([]*redis.Cmd, 0, len(ds))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, d := range ds {
				entries, err := indexList(d)
				if err != nil {
					return err
				}
				cmds = append(cmds, reindexScript.EvalSha(ctx, p, []string{s.key("d:", d.Ref)}, s.base, d.Ref, strconv.Itoa(d.Version), entries))
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("upgrade the indexes: %w", err)
		}
		for _, c := range cmds {
			if v, _ := c.Int(); v == 1 {
				n++
			}
		}
	}
	if err := s.rdb.Set(ctx, s.key("schema"), indexSchema, 0).Err(); err != nil {
		return n, fmt.Errorf("record the index schema: %w", err)
	}
	return n, nil
}

// reindexSlice bounds one round of the upgrade.
const reindexSlice = 500
