package failover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Node is a redis-server process on this machine, as it described itself.
type Node struct {
	Addr       string
	PID        int
	Executable string
	ConfigFile string
}

// poll is how often a wait looks again: fine enough to time a promotion
// to a twentieth of a second.
const poll = 50 * time.Millisecond

func client(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
}

func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("node address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("node %s is not on a loopback address: only a local test topology is killed", addr)
}

// Inspect asks the node at addr who it is (INFO server).
func Inspect(ctx context.Context, addr string) (Node, error) {
	if err := loopback(addr); err != nil {
		return Node{}, err
	}
	c := client(addr)
	defer c.Close()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return Node{}, fmt.Errorf("INFO server of %s: %w", addr, err)
	}
	n := Node{Addr: addr}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "process_id":
			n.PID, _ = strconv.Atoi(v)
		case "executable":
			n.Executable = v
		case "config_file":
			n.ConfigFile = v
		}
	}
	if n.PID <= 0 {
		return Node{}, fmt.Errorf("%s reported no process id", addr)
	}
	return n, nil
}

// Kill sends the node SIGKILL and waits until it no longer answers.
func (n Node) Kill(ctx context.Context) error {
	if err := loopback(n.Addr); err != nil {
		return err
	}
	if err := syscall.Kill(n.PID, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 %d (%s): %w", n.PID, n.Addr, err)
	}
	return waitFor(ctx, 10*time.Second, func() (bool, error) { return !answers(ctx, n.Addr), nil },
		"%s still answers after kill -9", n.Addr)
}

// Restart starts the node again from its executable and config file
// (which daemonizes it) and waits until it answers.
func (n Node) Restart(ctx context.Context) error {
	if n.Executable == "" || n.ConfigFile == "" {
		return fmt.Errorf("%s did not report its executable and config file: start it from a config file by full path", n.Addr)
	}
	cmd := exec.CommandContext(ctx, n.Executable, n.ConfigFile)
	cmd.Dir = filepath.Dir(n.ConfigFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("start %s again: %w: %s", n.Addr, err, out)
	}
	return waitFor(ctx, 20*time.Second, func() (bool, error) { return answers(ctx, n.Addr), nil },
		"%s did not answer after it was started again", n.Addr)
}

func answers(ctx context.Context, addr string) bool {
	c := client(addr)
	defer c.Close()
	return c.Ping(ctx).Err() == nil
}

// role is what ROLE says the node is: "master", "slave", "sentinel", or
// "" when it does not answer.
func role(ctx context.Context, addr string) string {
	c := client(addr)
	defer c.Close()
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) == 0 {
		return ""
	}
	s, _ := v[0].(string)
	return s
}

// linkUp reports whether a replica is in sync with its master.
func linkUp(ctx context.Context, addr string) bool {
	c := client(addr)
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	return err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up")
}

func waitFor(ctx context.Context, limit time.Duration, done func() (bool, error), format string, args ...any) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := done()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf(format+" (waited %s)", append(args, limit)...)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Failover is one kill of a master and its replica's promotion.
type Failover struct {
	// Killed is the master that was killed; Promoted the replica that
	// took its place.
	Killed   Node
	Promoted string
	// KilledAt is when the master stopped answering; PromotedAt when the
	// replica first said it was master.
	KilledAt, PromotedAt time.Time
	sentinels            []string
	master               string
}

// Promotion is how long the replica took to take over.
func (f *Failover) Promotion() time.Duration { return f.PromotedAt.Sub(f.KilledAt) }

// SlotMaster is the cluster's master for key's slot and its replicas, as
// the first of seeds that answers says.
func SlotMaster(ctx context.Context, seeds []string, key string) (master string, replicas []string, err error) {
	for _, seed := range seeds {
		c := client(seed)
		slot, kerr := c.ClusterKeySlot(ctx, key).Result()
		var slots []redis.ClusterSlot
		if kerr == nil {
			slots, kerr = c.ClusterSlots(ctx).Result()
		}
		_ = c.Close()
		if kerr != nil {
			err = kerr
			continue
		}
		for _, r := range slots {
			if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
				for _, n := range r.Nodes[1:] {
					replicas = append(replicas, n.Addr)
				}
				return r.Nodes[0].Addr, replicas, nil
			}
		}
		err = fmt.Errorf("%s: no node serves slot %d", seed, slot)
	}
	if err == nil {
		err = errors.New("no cluster seed given")
	}
	return "", nil, fmt.Errorf("find the master of %q's slot: %w", key, err)
}

// KillClusterMaster kills the master holding key's slot and waits until
// one of its replicas says it is master.
func KillClusterMaster(ctx context.Context, seeds []string, key string) (*Failover, error) {
	master, replicas, err := SlotMaster(ctx, seeds, key)
	if err != nil {
		return nil, err
	}
	if len(replicas) == 0 {
		return nil, fmt.Errorf("the master of %q's slot (%s) has no replica to promote", key, master)
	}
	return kill(ctx, master, replicas, nil)
}

// SentinelMaster is the master the sentinels name, and its replicas.
func SentinelMaster(ctx context.Context, sentinels []string, name string) (master string, replicas []string, err error) {
	for _, addr := range sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr, DialTimeout: 300 * time.Millisecond, ReadTimeout: 500 * time.Millisecond})
		hp, serr := sc.GetMasterAddrByName(ctx, name).Result()
		var reps []map[string]string
		if serr == nil {
			reps, serr = sc.Replicas(ctx, name).Result()
		}
		_ = sc.Close()
		if serr != nil {
			err = serr
			continue
		}
		for _, r := range reps {
			if !strings.Contains(r["flags"], "down") {
				replicas = append(replicas, net.JoinHostPort(r["ip"], r["port"]))
			}
		}
		return net.JoinHostPort(hp[0], hp[1]), replicas, nil
	}
	if err == nil {
		err = errors.New("no sentinel given")
	}
	return "", nil, fmt.Errorf("ask the sentinels for %s: %w", name, err)
}

// KillSentinelMaster kills the master the sentinels name and waits until
// one of its replicas says it is master (the sentinels promoted it).
func KillSentinelMaster(ctx context.Context, sentinels []string, name string) (*Failover, error) {
	master, replicas, err := SentinelMaster(ctx, sentinels, name)
	if err != nil {
		return nil, err
	}
	if len(replicas) == 0 {
		return nil, fmt.Errorf("the sentinels know no replica of %s (%s) to promote", name, master)
	}
	f, err := kill(ctx, master, replicas, sentinels)
	if f != nil {
		f.master = name
	}
	return f, err
}

func kill(ctx context.Context, master string, replicas, sentinels []string) (*Failover, error) {
	n, err := Inspect(ctx, master)
	if err != nil {
		return nil, err
	}
	if err := n.Kill(ctx); err != nil {
		return nil, err
	}
	f := &Failover{Killed: n, KilledAt: time.Now(), sentinels: sentinels}
	err = waitFor(ctx, 60*time.Second, func() (bool, error) {
		for _, r := range replicas {
			if role(ctx, r) == "master" {
				f.Promoted, f.PromotedAt = r, time.Now()
				return true, nil
			}
		}
		return false, nil
	}, "no replica of %s (%v) was promoted", master, replicas)
	return f, err
}

// Heal starts the killed master again and waits until it is a replica in
// sync with the promoted node (and, on Sentinel, until every sentinel
// lists it as a replica that is up), so the next failover has a replica.
func (f *Failover) Heal(ctx context.Context) error {
	if err := f.Killed.Restart(ctx); err != nil {
		return err
	}
	if err := waitFor(ctx, 60*time.Second, func() (bool, error) { return linkUp(ctx, f.Killed.Addr), nil },
		"%s did not rejoin as a replica in sync", f.Killed.Addr); err != nil {
		return err
	}
	for _, s := range f.sentinels {
		err := waitFor(ctx, 60*time.Second, func() (bool, error) {
			master, replicas, err := SentinelMaster(ctx, []string{s}, f.master)
			if err != nil {
				return false, nil
			}
			if master != f.Promoted {
				return false, nil
			}
			for _, r := range replicas {
				if r == f.Killed.Addr {
					return true, nil
				}
			}
			return false, nil
		}, "sentinel %s does not list %s as a replica of %s", s, f.Killed.Addr, f.Promoted)
		if err != nil {
			return err
		}
	}
	return nil
}

// Standalone starts a redis-server of its own on a free loopback port,
// its files in dir, with append-only persistence fsynced on every write
// (so what it acknowledged survives a kill -9), and returns it.
func Standalone(ctx context.Context, redisServer, dir string) (Node, error) {
	if redisServer == "" {
		redisServer = "redis-server"
	}
	exe, err := exec.LookPath(redisServer)
	if err != nil {
		return Node{}, fmt.Errorf("redis-server is needed to start a Redis to kill: %w", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return Node{}, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Node{}, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	if dir, err = filepath.Abs(dir); err != nil {
		return Node{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Node{}, err
	}
	conf := filepath.Join(dir, "redis.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\ndaemonize yes\npidfile %s\nlogfile %s\nsave \"\"\nappendonly yes\nappendfsync always\n",
		port, dir, filepath.Join(dir, "pid"), filepath.Join(dir, "log"))
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return Node{}, err
	}
	n := Node{Addr: "127.0.0.1:" + strconv.Itoa(port), Executable: exe, ConfigFile: conf}
	if err := n.Restart(ctx); err != nil {
		return Node{}, err
	}
	return Inspect(ctx, n.Addr)
}

// Shutdown stops a node for good (SHUTDOWN NOSAVE).
func (n Node) Shutdown(ctx context.Context) {
	c := client(n.Addr)
	defer c.Close()
	_ = c.ShutdownNoSave(ctx).Err()
}
