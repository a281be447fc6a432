package storetest

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/escalate-app/escalate/store"
)

// sealed finds the values Escalate encrypted at rest, wherever they sit in
// a key's value (a whole string, a hash field, inside a JSON document).
var sealed = regexp.MustCompile(`enc:v[12]:[A-Za-z0-9+/_:-]+`)

// Scan renders every key under prefix and its whole value, as an operator
// with redis-cli would see them (Raw), and the same with every encrypted
// value opened by c (Opened; Raw again when c is nil). A test that asserts
// something is absent from Opened knows it is gone, not merely hidden.
func Scan(ctx context.Context, s *store.Store, prefix string, c *store.Cipher) (raw, opened string, err error) {
	rdb := s.Client()
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return "", "", fmt.Errorf("scan %s*: %w", prefix, err)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			return "", "", fmt.Errorf("type of %s: %w", k, err)
		}
		var v any
		switch typ {
		case "string":
			v, err = rdb.Get(ctx, k).Result()
		case "hash":
			v, err = rdb.HGetAll(ctx, k).Result()
		case "list":
			v, err = rdb.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, err = rdb.SMembers(ctx, k).Result()
		case "zset":
			v, err = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = rdb.XRange(ctx, k, "-", "+").Result()
		default:
			v = "(type " + typ + ")"
		}
		if err != nil {
			return "", "", fmt.Errorf("read %s: %w", k, err)
		}
		fmt.Fprintf(&b, "%s (%s) = %v\n", k, typ, v)
	}
	raw = b.String()
	if c == nil {
		return raw, raw, nil
	}
	var failed error
	opened = sealed.ReplaceAllStringFunc(raw, func(v string) string {
		plain, err := c.Decrypt(v)
		if err != nil && failed == nil {
			failed = fmt.Errorf("open %.20s…: %w", v, err)
		}
		return plain
	})
	return raw, opened, failed
}
