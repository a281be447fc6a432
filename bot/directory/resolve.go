package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// EmailLookup finds a person on one platform by their work address
// (Slack's users.lookupByEmail; Microsoft Graph's GET /users/{mail}). It
// returns ErrNotFound when the platform has nobody with that address.
type EmailLookup interface {
	ByEmail(ctx context.Context, email string) (workflow.UserID, Found, error)
}

// RateLimited is a platform's "too many requests", with how long to wait.
// Lookups that can tell return it (wrapped or not) so Resolve waits and
// asks again rather than failing the import.
type RateLimited struct{ RetryAfter time.Duration }

func (r *RateLimited) Error() string {
	return fmt.Sprintf("rate limited: retry after %s", r.RetryAfter)
}

// Resolved is what an address was found as.
type Resolved struct {
	Email string
	ID    workflow.UserID // "" when no platform knows the address
}

// Resolve looks up each address on each platform in turn, at most workers
// at a time, and says what each was found as (ID "" when none knew it). A
// platform that cannot answer (down, refusing our token) ends the
// resolution with an error: an import must not proceed on a guess. Each
// address costs at most one call per platform.
func Resolve(ctx context.Context, emails []string, lookups []EmailLookup, workers int, wait func(context.Context, time.Duration) error) ([]Resolved, error) {
	if workers <= 0 {
		workers = 4
	}
	if wait == nil {
		wait = sleepCtx
	}
	out := make([]Resolved, len(emails))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i].Email = emails[i]
				id, err := lookUpEverywhere(ctx, emails[i], lookups, wait)
				if err != nil {
					fail(err)
					continue
				}
				out[i].ID = id
			}
		}()
	}
feed:
	for i := range emails {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// lookUpEverywhere asks each platform in turn until one knows the address.
func lookUpEverywhere(ctx context.Context, email string, lookups []EmailLookup, wait func(context.Context, time.Duration) error) (workflow.UserID, error) {
	for _, l := range lookups {
		for attempt := 0; ; attempt++ {
			id, f, err := l.ByEmail(ctx, email)
			var rl *RateLimited
			switch {
			case err == nil && (f.Bot || f.Deleted):
				return "", nil // an app or a switched-off account is nobody to hold a case
			case err == nil:
				return id, nil
			case errors.Is(err, ErrNotFound):
			case errors.As(err, &rl) && attempt < 10:
				if err := wait(ctx, rl.RetryAfter); err != nil {
					return "", err
				}
				continue
			default:
				return "", fmt.Errorf("look up %s: %w", redactEmail(email), err)
			}
			break
		}
	}
	return "", nil
}

// redactEmail keeps an address's domain for the log and hides the person.
func redactEmail(email string) string {
	if at := strings.LastIndexByte(email, '@'); at > 0 {
		return "…" + email[at:]
	}
	return "an address"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
