package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// IdempotencyTTL is how long a transition's idempotency key is remembered:
// long enough for any platform retry or a person's double click.
const IdempotencyTTL = 24 * time.Hour

// sentTTL is how long a delivered outbox item is remembered, so the same
// message enqueued again within it is not sent twice.
const sentTTL = 7 * 24 * time.Hour

// The store's sentinel errors; callers test them with errors.Is. The engine
// re-exports them, so adapters need not import the store to tell people
// what happened.
var (
	ErrNotFound  = errors.New("no such case")
	ErrConflict  = errors.New("the case changed while you were acting on it")
	ErrDuplicate = errors.New("this request was already handled")
)

// Short names used throughout the package.
var (
	errNotFound  = ErrNotFound
	errConflict  = ErrConflict
	errDuplicate = ErrDuplicate
)

// Options configures a Store.
type Options struct {
	// Prefix starts every key, e.g. "esc:" (tests use a unique one).
	Prefix string
	// Cipher encrypts free text at rest; nil stores it in clear.
	Cipher *Cipher
	// FeedPlatforms get business-team feed posts, e.g. {"slack"}: a feed
	// message is enqueued once per platform here (none: it is not enqueued).
	FeedPlatforms []string
	// Now is the clock for Enqueue's timestamps; nil means time.Now. A
	// transition's messages are stamped with the transition's own time.
	Now func() time.Time
	// StreamKeep is how long the global event stream keeps an entry (the
	// partnership's retention period); 0 keeps entries until StreamMaxLen
	// pushes them out. Trimming is approximate: Redis drops whole stream
	// nodes, so a few more entries may stay a little longer.
	StreamKeep time.Duration
	// StreamMaxLen bounds the stream whatever StreamKeep says, so a flood
	// cannot grow it without limit: 0 means DefaultStreamMaxLen, negative
	// means no bound.
	StreamMaxLen int64
}

// DefaultStreamMaxLen bounds the event stream when Options say nothing:
// a partnership's seven years of events (a few thousand cases a year, tens
// of events each) fit several times over.
const DefaultStreamMaxLen = 1_000_000

// Store is Escalate's Redis persistence. It is safe for concurrent use.
type Store struct {
	rdb  redis.UniversalClient
	opts Options
	base string
	now  func() time.Time
	// rekeyRead, when set (by tests), runs after a rekey has read a case
	// and before it writes it back: where a concurrent writer can strike.
	rekeyRead func(ref string)
	// stop ends the cluster slot-map reloader (nil when there is none).
	stop chan struct{}
}

// Open connects to the Redis at redisURL (redis://[:password@]host:port/db,
// or rediss:// for TLS) and checks that it answers.
func Open(ctx context.Context, redisURL string, opts Options) (*Store, error) {
	o, err := redis.ParseURL(redisURL)
	if err != nil {
		// The URL may carry a password: say what is wrong without it.
		return nil, errors.New("REDIS_URL is not a redis:// or rediss:// URL")
	}
	return connect(ctx, redis.NewClient(o), opts)
}

// OpenUniversal connects to Redis Sentinel (MasterName set) or Cluster
// (several Addrs, or IsClusterMode) and checks that it answers.
func OpenUniversal(ctx context.Context, uo *redis.UniversalOptions, opts Options) (*Store, error) {
	if uo == nil || len(uo.Addrs) == 0 {
		return nil, errors.New("no Redis addresses configured")
	}
	c := redis.NewUniversalClient(FailoverDefaults(uo))
	s, err := connect(ctx, c, opts)
	if err != nil {
		return nil, err
	}
	if cc, ok := c.(*redis.ClusterClient); ok {
		// The client reloads its slot map when a node refuses it
		// (MOVED) or cannot be reached; reloading every few seconds as
		// well finds a promoted replica before the next write fails.
		s.stop = make(chan struct{})
		go reloadSlots(cc, slotReload, s.stop)
	}
	return s, nil
}

// FailoverDefaults fills the options a Cluster or Sentinel client is
// left without so that a dead master does not hold Escalate's writes for
// long: a connection to it is given up on after a second, the command is
// retried with short backoff while the client rereads the slot map
// (Cluster) or asks the sentinels for the new master (Sentinel), and
// follows the promoted replica's redirections. Options already set are
// kept. It returns uo.
func FailoverDefaults(uo *redis.UniversalOptions) *redis.UniversalOptions {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&uo.DialTimeout, time.Second)
	set(&uo.ReadTimeout, time.Second)
	set(&uo.WriteTimeout, time.Second)
	set(&uo.MinRetryBackoff, 50*time.Millisecond)
	set(&uo.MaxRetryBackoff, 500*time.Millisecond)
	if uo.MaxRedirects == 0 {
		uo.MaxRedirects = 8
	}
	if uo.MaxRetries == 0 {
		uo.MaxRetries = 5
	}
	return uo
}

// slotReload is how often a cluster client rereads the cluster's slot map.
const slotReload = 2 * time.Second

func reloadSlots(cc *redis.ClusterClient, every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			cc.ReloadState(context.Background())
		}
	}
}

// Ready checks that Escalate can write: a write to a key of its hash tag,
// which on Cluster goes to the master holding Escalate's slot and on
// Sentinel to the current master, so a dead or demoted master is not
// "ready" however many other nodes answer. On Cluster a failure rereads
// the slot map at once.
func (s *Store) Ready(ctx context.Context) error {
	err := s.rdb.Set(ctx, s.key("ready"), strconv.FormatInt(s.now().UnixMilli(), 10), time.Minute).Err()
	if err != nil {
		if cc, ok := s.rdb.(*redis.ClusterClient); ok {
			cc.ReloadState(ctx)
		}
		return fmt.Errorf("redis write to Escalate's slot: %w", err)
	}
	return nil
}

func connect(ctx context.Context, c redis.UniversalClient, opts Options) (*Store, error) {
	s := New(c, opts)
	if err := s.Ping(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return s, nil
}

// New wraps a client the caller made.
func New(client redis.UniversalClient, opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{rdb: client, opts: opts, base: opts.Prefix + "{esc}:", now: now}
}

// Client is the underlying Redis client (for admin tools and tests).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
	return s.rdb.Close()
}

// key names one key under the store's hash tag.
func (s *Store) key(parts ...string) string {
	k := s.base
	for _, p := range parts {
		k += p
	}
	return k
}

// micros is a time as a sorted-set score: microseconds since the epoch.
func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// NextRef allocates the next reference of the year: ESC-2026-0042.
func (s *Store) NextRef(ctx context.Context, year int) (string, error) {
	n, err := s.rdb.Incr(ctx, s.key("ref:", strconv.Itoa(year))).Result()
	if err != nil {
		return "", fmt.Errorf("next reference of %d: %w", year, err)
	}
	return workflow.FormatRef(year, int(n)), nil
}

// Handled reports the case a transition with this idempotency key wrote,
// if one did within IdempotencyTTL: a raise form submitted again is
// answered with the reference the first submission got.
func (s *Store) Handled(ctx context.Context, idempotencyKey string) (ref string, ok bool, err error) {
	if idempotencyKey == "" {
		return "", false, nil
	}
	v, err := s.rdb.Get(ctx, s.key("idem:", idempotencyKey)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("idempotency key: %w", err)
	}
	ref, _, found := strings.Cut(v, "|")
	return ref, found && ref != "", nil
}

// Once reports whether key is seen for the first time in ttl, for requests
// that are not transitions (a platform retrying a slash command, say).
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if key == "" {
		return false, errors.New("once: empty key")
	}
	first, err := s.rdb.SetNX(ctx, s.key("once:", key), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("once: %w", err)
	}
	return first, nil
}

// SetRef records a platform conversation reference, e.g.
// ("slack-thread", "ESC-2026-0042", "1700000000.000100").
func (s *Store) SetRef(ctx context.Context, kind, key, value string) error {
	if err := s.rdb.HSet(ctx, s.key("xref:", kind), key, value).Err(); err != nil {
		return fmt.Errorf("set %s reference: %w", kind, err)
	}
	return nil
}

// GetRef reads a platform conversation reference.
func (s *Store) GetRef(ctx context.Context, kind, key string) (string, bool, error) {
	v, err := s.rdb.HGet(ctx, s.key("xref:", kind), key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get %s reference: %w", kind, err)
	}
	return v, true, nil
}
