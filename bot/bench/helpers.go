package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalate-app/escalate/workflow"
)

// client sends requests to the Slack handler signed as Slack signs them.
type client struct {
	url, secret string
	hc          *http.Client
	busy        atomic.Int64 // requests answered "busy" (beyond the bound)
}

func (c *client) post(path, body string) (time.Duration, error) {
	t0 := time.Now()
	answer, err := c.postBody(path, body)
	took := time.Since(t0)
	if err != nil {
		return took, err
	}
	if strings.Contains(answer, "Escalate is busy") {
		c.busy.Add(1)
	}
	return took, nil
}

// postBody sends a request signed as Slack signs it and returns the
// answer's body; an answer other than 200 is an error.
func (c *client) postBody(path, body string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, c.url+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(c.secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return string(answer), fmt.Errorf("POST %s answered %d", path, resp.StatusCode)
	}
	return string(answer), nil
}

// command types /escalate text as user; n makes the request unique (a
// signed request seen twice is not acted on again).
func (c *client) command(user workflow.UserID, text string, n int64) (time.Duration, error) {
	id := strconv.FormatInt(n, 10)
	return c.post("/slack/commands", url.Values{
		"team_id": {"T1"}, "channel_id": {"D1"}, "user_id": {user.Local()}, "command": {"/escalate"}, "text": {text},
		"response_url": {c.url + "/respond/" + id}, "trigger_id": {"trig-" + id}, "api_app_id": {"A1"},
	}.Encode())
}

// click presses a button of value as user.
func (c *client) click(user workflow.UserID, value string, n int64) (time.Duration, error) {
	id := strconv.FormatInt(n, 10)
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": user.Local()}, "api_app_id": "A1",
		"trigger_id": "trig-click-" + id, "response_url": c.url + "/respond/click-" + id,
		"container": map[string]any{"type": "message", "message_ts": "1.1", "channel_id": "D1"},
		"channel":   map[string]any{"id": "D1"},
		"actions": []any{map[string]any{"type": "button", "action_id": "esc:" + string(workflow.ActShow), "block_id": "b" + id, "value": value,
			"action_ts": strconv.FormatInt(time.Now().UnixNano(), 10)}},
	})
	return c.post("/slack/interactivity", url.Values{"payload": {string(payload)}}.Encode())
}

// latencies collects request times.
type latencies struct {
	d        []time.Duration
	p50, p99 time.Duration
}

func (l *latencies) add(d time.Duration) { l.d = append(l.d, d) }

// settle works out the percentiles once every request is in.
func (l *latencies) settle() {
	if len(l.d) == 0 {
		return
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	l.p50, l.p99 = s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

func (l latencies) String() string {
	if len(l.d) == 0 {
		return "no requests"
	}
	return fmt.Sprintf("%s / %s (%d requests)", ms(l.p50), ms(l.p99), len(l.d))
}

// redisInfo reads INFO server.
func redisInfo(ctx context.Context, c redis.UniversalClient) map[string]string {
	out := map[string]string{}
	s, err := c.Info(ctx, "server").Result()
	if err != nil {
		return out
	}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			out[k] = v
		}
	}
	return out
}

// usedMemory is INFO memory's used_memory.
func usedMemory(ctx context.Context, c redis.UniversalClient) int64 {
	s, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// deletePrefix deletes every key that starts with prefix (SCAN, then DEL
// 500 at a time): the bench's own keys and no other.
func deletePrefix(ctx context.Context, c redis.UniversalClient, prefix string) (int, error) {
	n := 0
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 5000).Result()
		if err != nil {
			return n, fmt.Errorf("scan %s*: %w", prefix, err)
		}
		for len(keys) > 0 {
			k := keys[:min(500, len(keys))]
			keys = keys[len(k):]
			if err := c.Unlink(ctx, k...).Err(); err != nil {
				return n, fmt.Errorf("delete %s*: %w", prefix, err)
			}
			n += len(k)
		}
		if next == 0 {
			return n, nil
		}
		cursor = next
	}
}

// redisBenchmark runs redis-benchmark's SET at 8 clients against the same
// Redis, on a key of the bench's prefix, and returns its requests per
// second (0, and why, when it cannot).
func (b *bench) redisBenchmark() (float64, string) {
	prog := b.o.RedisBenchmark
	if prog == "-" {
		return 0, "not run (--redis-benchmark -)"
	}
	if prog == "" {
		p, err := exec.LookPath("redis-benchmark")
		if err != nil {
			return 0, "not installed (no redis-benchmark on PATH): no ratio"
		}
		prog = p
	}
	o, err := redis.ParseURL(b.o.RedisURL)
	if err != nil {
		return 0, "not run: the Redis URL does not parse"
	}
	host, port, _ := strings.Cut(o.Addr, ":")
	args := []string{"-h", host, "-p", port, "-c", "8", "-n", strconv.Itoa(b.sz.benchN), "-q", "--dbnum", strconv.Itoa(o.DB)}
	if o.Password != "" {
		args = append(args, "-a", o.Password)
	}
	key := b.prefix + "redis-benchmark"
	// The same command as -t set (SET of a 3-byte value), on our own key.
	args = append(args, "SET", key, "xxx")
	cmd := exec.CommandContext(b.ctx, prog, args...)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Run(); err != nil {
		return 0, "failed: " + err.Error()
	}
	// "SET bench:…: 36429.88 requests per second, p50=…": the last report.
	text := strings.ReplaceAll(outb.String(), "\r", "\n")
	var rps float64
	for _, l := range strings.Split(text, "\n") {
		i := strings.Index(l, " requests per second")
		if i < 0 {
			continue
		}
		f := strings.Fields(l[:i])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			rps = v
		}
	}
	if rps == 0 {
		return 0, "gave no figure"
	}
	return rps, "SET -c 8"
}
