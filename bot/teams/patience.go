package teams

import (
	"context"
	"errors"
	"time"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// A reply to what someone typed or pressed is sent while they wait, not
// through the outbox, so a connector that answers 429 or 5xx is waited out
// here: a 429 for its Retry-After (up to maxReplyWait), a 5xx with growing
// backoff, a few times. A refusal retrying cannot change is not retried.
const (
	replyAttempts = 4
	maxReplyWait  = 15 * time.Second
	firstBackoff  = 500 * time.Millisecond
)

func (a *Adapter) replyPatiently(ctx context.Context, act schema.Activity, c *Card) (string, error) {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		id, err := a.via(act).conn.reply(ctx, act.ServiceURL, act.Conversation.ID, act.ID, c, "")
		if err == nil || outbox.IsPermanent(err) || attempt == replyAttempts {
			return id, err
		}
		wait := backoff
		backoff *= 2
		var ra *outbox.RetryAfter
		if errors.As(err, &ra) {
			if ra.After > maxReplyWait {
				return "", err
			}
			wait = ra.After
		}
		a.log.WarnContext(ctx, "reply refused for now; trying again", "attempt", attempt, "wait", wait.String(), "error", err.Error())
		if err := a.wait(ctx, wait); err != nil {
			return "", err
		}
	}
}

func (a *Adapter) wait(ctx context.Context, d time.Duration) error {
	if a.cfg.Wait != nil {
		return a.cfg.Wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
