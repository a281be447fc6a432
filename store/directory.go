package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// The people imported with `escalate directory import`, beside the YAML
// file's directory. Keys (under the hash tag):
//
//	directory:people   string  JSON list of workflow.Person, the whole import
//	directory:meta     string  JSON ImportMeta: when, from what, how many
//
// An import replaces the whole list in one MULTI, so a reader sees the
// previous import or the new one, never half of either. The list is a
// professional directory (names, agencies, roles, platform ids, work
// addresses), the same information as the configuration file's directory,
// and is kept in clear as that file is: no child's details, nobody's words.

// ImportMeta says what the imported directory is.
type ImportMeta struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"` // the file's name, as given
	Rows   int       `json:"rows"`   // people in the file
	People int       `json:"people"` // directory entries (one per platform id)
}

// PutImportedPeople replaces the imported people, all at once.
func (s *Store) PutImportedPeople(ctx context.Context, people []workflow.Person, meta ImportMeta) error {
	pj, err := json.Marshal(people)
	if err != nil {
		return fmt.Errorf("encode the imported people: %w", err)
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode the import's details: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.key("directory:people"), pj, 0)
		p.Set(ctx, s.key("directory:meta"), mj, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("keep the imported people: %w", err)
	}
	return nil
}

// ImportedPeople reads the imported people (none, with a zero ImportMeta,
// when nothing was ever imported).
func (s *Store) ImportedPeople(ctx context.Context) ([]workflow.Person, ImportMeta, error) {
	vals, err := s.rdb.MGet(ctx, s.key("directory:people"), s.key("directory:meta")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, ImportMeta{}, fmt.Errorf("read the imported people: %w", err)
	}
	var people []workflow.Person
	var meta ImportMeta
	if v, ok := vals[0].(string); ok {
		if err := json.Unmarshal([]byte(v), &people); err != nil {
			return nil, ImportMeta{}, fmt.Errorf("read the imported people: %w", err)
		}
	}
	if v, ok := vals[1].(string); ok {
		if err := json.Unmarshal([]byte(v), &meta); err != nil {
			return nil, ImportMeta{}, fmt.Errorf("read the import's details: %w", err)
		}
	}
	return people, meta, nil
}

// GroupPeople are the members of the directory's Microsoft Entra groups
// and the line managers Entra ID records, as last read from Graph
// (bot/directory.Groups): replaced whole on each successful read, so a
// Graph outage leaves the last known members holding their stages.
//
//	directory:groups     string  JSON list of workflow.Person
//	directory:groups:at  string  RFC 3339 time of the read

// PutGroupPeople replaces the group members, all at once.
func (s *Store) PutGroupPeople(ctx context.Context, people []workflow.Person, at time.Time) error {
	pj, err := json.Marshal(people)
	if err != nil {
		return fmt.Errorf("encode the group members: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.key("directory:groups"), pj, 0)
		p.Set(ctx, s.key("directory:groups:at"), at.UTC().Format(time.RFC3339), 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("keep the group members: %w", err)
	}
	return nil
}

// GroupPeople reads the group members last kept (none, with a zero time,
// before the first read).
func (s *Store) GroupPeople(ctx context.Context) ([]workflow.Person, time.Time, error) {
	vals, err := s.rdb.MGet(ctx, s.key("directory:groups"), s.key("directory:groups:at")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, time.Time{}, fmt.Errorf("read the group members: %w", err)
	}
	var people []workflow.Person
	var at time.Time
	if v, ok := vals[0].(string); ok {
		if err := json.Unmarshal([]byte(v), &people); err != nil {
			return nil, time.Time{}, fmt.Errorf("read the group members: %w", err)
		}
	}
	if v, ok := vals[1].(string); ok {
		at, _ = time.Parse(time.RFC3339, v)
	}
	return people, at, nil
}
