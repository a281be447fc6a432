package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// People the directory does not list, as their platform names them. Keys
// (under the hash tag):
//
//	people:names   hash: user id → {"name","title","found","at"}
//
// A practitioner's name and job title are their employer's working
// information, not case data, and are kept in the clear; they say nothing
// of any case. Whoever reads them decides when an entry is too old.

// PlatformName is a person's name as their platform gave it.
type PlatformName struct {
	Name  string `json:"name,omitempty"`
	Title string `json:"title,omitempty"`
	// Found is false when the platform said there is no such person, so
	// that asking again can wait.
	Found bool      `json:"found"`
	At    time.Time `json:"at"`
}

// PlatformNames reads the kept names of several people in one round trip;
// people never looked up are absent.
func (s *Store) PlatformNames(ctx context.Context, ids []workflow.UserID) (map[workflow.UserID]PlatformName, error) {
	out := map[workflow.UserID]PlatformName{}
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = string(id)
	}
	vals, err := s.rdb.HMGet(ctx, s.key("people:names"), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("read platform names: %w", err)
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var n PlatformName
		if json.Unmarshal([]byte(str), &n) == nil {
			out[ids[i]] = n
		}
	}
	return out, nil
}

// KeepPlatformNames writes names learnt from the platforms, in one round
// trip.
func (s *Store) KeepPlatformNames(ctx context.Context, names map[workflow.UserID]PlatformName) error {
	if len(names) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(names))
	for id, n := range names {
		b, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("encode platform name: %w", err)
		}
		args = append(args, string(id), string(b))
	}
	if err := s.rdb.HSet(ctx, s.key("people:names"), args...).Err(); err != nil {
		return fmt.Errorf("keep platform names: %w", err)
	}
	return nil
}

// Display is "Name, Title" (or the name alone).
func (n PlatformName) Display() string {
	if n.Title == "" {
		return n.Name
	}
	return n.Name + ", " + n.Title
}

// ForgetPlatformNames drops the kept names of these people. Retention
// calls it for the people of a case it purges: each case keeps its own
// copy of the names it shows (Dispute.Names), so this cache is only what
// spares the platform a look-up, and a name learnt for a purged case must
// not outlive it.
func (s *Store) ForgetPlatformNames(ctx context.Context, ids []workflow.UserID) error {
	if len(ids) == 0 {
		return nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = string(id)
	}
	if err := s.rdb.HDel(ctx, s.key("people:names"), fields...).Err(); err != nil {
		return fmt.Errorf("forget platform names: %w", err)
	}
	return nil
}
