package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges a Socket Mode request with the answer an HTTP request
// would have had as its body (socketmode.Client implements it).
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// RunSocketMode connects over Socket Mode (no public URL needed) and
// serves until ctx ends. Requests go to the same handlers as HTTP; Slack
// has already authenticated the connection with the app token.
func (a *Adapter) RunSocketMode(ctx context.Context) error {
	if a.cfg.AppToken == "" {
		return errors.New("slack: Socket Mode needs an app token (SLACK_APP_TOKEN)")
	}
	client := socketmode.New(a.api, socketmode.OptionLog(slogOutput{a.log}))
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-client.Events:
			a.socketEvent(ctx, client, evt)
		}
	}
}

// socketEvent dispatches one Socket Mode event into the shared handlers,
// each in its own goroutine so a slow one holds up no other.
func (a *Adapter) socketEvent(ctx context.Context, ack acker, evt socketmode.Event) {
	ackWith := func(body any) {
		if evt.Request == nil {
			return
		}
		var err error
		if body == nil {
			err = ack.Ack(*evt.Request)
		} else {
			err = ack.Ack(*evt.Request, body)
		}
		if err != nil {
			a.log.WarnContext(ctx, "socket mode: acknowledge", "err", err)
		}
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return
		}
		a.spawn(func() { ackWith(a.command(ctx, cmd)) })
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return
		}
		a.spawn(func() { ackWith(a.interaction(ctx, cb)) })
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		ackWith(nil) // acknowledged at once, as over HTTP
		a.spawn(func() { a.event(ctx, ev) })
	case socketmode.EventTypeInvalidAuth:
		a.log.ErrorContext(ctx, "socket mode: Slack refused the app token")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		a.log.WarnContext(ctx, "socket mode: connection trouble", "event", string(evt.Type))
	case socketmode.EventTypeConnected:
		a.log.InfoContext(ctx, "socket mode: connected")
	}
}

func (a *Adapter) spawn(f func()) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		f()
	}()
}

// slogOutput sends the Socket Mode client's own log to slog (debug).
type slogOutput struct{ log *slog.Logger }

func (s slogOutput) Output(_ int, msg string) error {
	s.log.Debug("socket mode", "msg", msg)
	return nil
}
