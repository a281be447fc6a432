package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// linksCmd: escalate links revoke ADDRESS. Withdraws every link and web
// session of a person on email issued until now (a lost phone, a forwarded
// email, someone who left); links emailed afterwards work.
func linksCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, linksUsage)
		if len(args) == 0 {
			return errors.New("links: say what to do")
		}
		return nil
	}
	a, err := adminApp(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return linksAdmin(ctx, a.store, args, out, time.Now())
}

const linksUsage = `usage: escalate links revoke ADDRESS

  revoke ADDRESS   withdraw every link to the web page emailed to ADDRESS, and every
                   session opened with one, until now; links emailed later work

Works on the store named by REDIS_URL (and ESCALATE_CONFIG).
`

func linksAdmin(ctx context.Context, st *store.Store, args []string, out io.Writer, now time.Time) error {
	if len(args) != 2 || args[0] != "revoke" {
		fmt.Fprint(out, linksUsage)
		return errors.New("links: usage: escalate links revoke ADDRESS")
	}
	addr, ok := workflow.NormalEmail(args[1])
	if !ok {
		return fmt.Errorf("links: %q is not one email address", args[1])
	}
	if err := st.RevokeLinks(ctx, workflow.EmailUser(addr), now); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	fmt.Fprintf(out, "Every link and web session of %s until %s is withdrawn.\n", addr, now.UTC().Format(time.RFC3339))
	return nil
}
