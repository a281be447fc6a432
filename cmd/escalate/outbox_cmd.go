package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/escalate-app/escalate/store"
)

// outboxCmd: escalate outbox [list|replay ID]. Parked messages are ones
// that kept failing; an operator fixes the cause (a user who left, a
// channel the bot was removed from) and replays them. Only the reference,
// kind and recipient are shown: never what the message says.
func outboxCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(out, outboxUsage)
		return nil
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return outboxAdmin(ctx, a.store, args, out, time.Now(), a.cal.Location())
}

const outboxUsage = `usage: escalate outbox [list|replay ID]

  list        how many messages wait to be sent, the oldest's age, and the parked ones:
              messages that kept failing (a person who left, a channel the bot is not in)
  replay ID   send a parked message again, once its cause is fixed

Works on the store named by REDIS_URL (and ESCALATE_CONFIG). Shows the case, kind and
recipient of a message, never what it says.
`

// outboxAdmin runs one outbox verb; times are shown in loc, the
// partnership's own time zone.
func outboxAdmin(ctx context.Context, st *store.Store, args []string, out io.Writer, now time.Time, loc *time.Location) error {
	verb := "list"
	if len(args) > 0 {
		verb = args[0]
	}
	switch verb {
	case "list":
		depth, oldest, parked, err := st.OutboxStats(ctx, now)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		fmt.Fprintf(out, "waiting: %d (oldest %s)\nparked:  %d\n", depth, oldest.Round(time.Second), parked)
		items, err := st.Parked(ctx)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if len(items) == 0 {
			return nil
		}
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nID\tCASE\tKIND\tTO\tATTEMPTS\tPARKED\tLAST ERROR")
		for _, it := range items {
			to := string(it.Message.To)
			if it.Message.Feed {
				to = "business-team feed"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%d\t%s\t%s\n", it.ID, it.Message.Ref, it.Message.Kind, to, it.Target, it.Attempts, it.ParkedAt.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"), it.LastError)
		}
		return tw.Flush()
	case "replay":
		if len(args) != 2 {
			return fmt.Errorf("usage: escalate outbox replay ID (see escalate outbox list)")
		}
		if err := st.Replay(ctx, args[1]); err != nil {
			if errors.Is(err, store.ErrNotParked) {
				return notParked(args[1])
			}
			return err
		}
		fmt.Fprintf(out, "%s is queued again; the running service sends it within seconds\n", args[1])
		return nil
	}
	return fmt.Errorf("unknown outbox command %q\n%s", verb, outboxUsage)
}

// notParked is replaying an id that is not parked, said in one sentence;
// errors.Is still finds store.ErrNotParked.
type notParked string

func (n notParked) Error() string {
	return fmt.Sprintf("%q is not a parked message (escalate outbox list shows their ids)", string(n))
}

func (notParked) Unwrap() error { return store.ErrNotParked }
