package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// SetDelivered records where a platform put an outbox item's message (its
// coordinates: a conversation and an activity id, never its words), as
// soon as the platform answered, so a retry of the item after a failure
// finds it there instead of sending it again. It is kept as long as a
// delivered item's marker (a week).
func (s *Store) SetDelivered(ctx context.Context, itemID, where string) error {
	if err := s.rdb.Set(ctx, s.key("dl:", itemID), where, sentTTL).Err(); err != nil {
		return fmt.Errorf("record where %s was delivered: %w", itemID, err)
	}
	return nil
}

// Delivered reads what SetDelivered recorded for an item.
func (s *Store) Delivered(ctx context.Context, itemID string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.key("dl:", itemID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read where %s was delivered: %w", itemID, err)
	}
	return v, true, nil
}
