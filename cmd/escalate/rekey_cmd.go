package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/escalate-app/escalate/store"
)

const rekeyUsage = `usage: escalate rekey

Rewraps every encrypted value in the store (free text and case numbers of every case,
their notes and outcomes, queued messages) under the newest key of ESCALATE_ENCRYPTION_KEYS.

Rotating a key:
  1. make a key: openssl rand -base64 32
  2. set ESCALATE_ENCRYPTION_KEYS="NEW,OLD" (newest first) on every replica and restart them:
     new values are sealed with NEW, and values under OLD still open
  3. run escalate rekey (safe while the bot serves; if it stops, run it again: it goes on
     from where it stopped)
  4. once it says everything is under NEW, set ESCALATE_ENCRYPTION_KEYS="NEW" and restart

Works on the store named by REDIS_URL (and ESCALATE_CONFIG).
`

// rekeyCmd: escalate rekey.
func rekeyCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	if len(args) > 0 {
		fmt.Fprint(out, rekeyUsage)
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return fmt.Errorf("rekey takes no arguments")
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return rekey(ctx, a.store, out)
}

func rekey(ctx context.Context, st *store.Store, out io.Writer) error {
	rep, err := st.Rekey(ctx, store.RekeyOptions{})
	if err != nil {
		if rep.Cases > 0 {
			fmt.Fprintf(out, "Stopped after %d cases; run escalate rekey again to go on from there.\n", rep.Cases)
		}
		return err
	}
	if !rep.Done {
		return errors.New("rekey stopped before the end; run it again")
	}
	resumed := ""
	if rep.Resumed {
		resumed = " (went on from where an earlier run stopped)"
	}
	fmt.Fprintf(out, "Everything is under key %s%s: %d cases and %d queued messages looked at, %d values rewrapped.\n",
		rep.KeyID, resumed, rep.Cases, rep.Outbox, rep.Values)
	if ids := st.KeyIDs(); len(ids) > 1 {
		fmt.Fprintf(out, "The older keys (%s) are no longer needed: set ESCALATE_ENCRYPTION_KEYS to the newest alone and restart.\n", strings.Join(ids[1:], ", "))
	}
	return nil
}
