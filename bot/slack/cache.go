package slack

import (
	"sync"

	"github.com/slack-go/slack"
)

// blockCache remembers the blocks of recent messages by "channel|ts", in
// memory only, oldest forgotten first.
type blockCache struct {
	mu    sync.Mutex
	max   int
	items map[string][]slack.Block
	order []string
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, items: map[string][]slack.Block{}}
}

func (c *blockCache) put(key string, blocks []slack.Block) {
	if key == "" || len(blocks) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; !ok {
		c.order = append(c.order, key)
	}
	c.items[key] = blocks
	for len(c.order) > c.max {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *blockCache) get(key string) ([]slack.Block, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.items[key]
	return b, ok
}

func msgKey(channel, ts string) string {
	if channel == "" || ts == "" {
		return ""
	}
	return channel + "|" + ts
}
