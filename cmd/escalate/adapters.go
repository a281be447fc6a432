package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/escalate-app/escalate/bot/budget"
	"github.com/escalate-app/escalate/bot/slack"
	"github.com/escalate-app/escalate/bot/teams"
	"github.com/escalate-app/escalate/config"
)

// chatAdapters wires the chat platforms that are configured: their routes,
// their outbox transports and, for Slack's Socket Mode, the connection
// that runs beside the HTTP server.
func chatAdapters(ctx context.Context, cfg *config.Config, a *app, mux *http.ServeMux, kick func()) ([]adapter, error) {
	var out []adapter
	// One bound for the process: Slack's and Teams' commands share it.
	work := budget.New(budget.Options{})
	if cfg.SlackEnabled() {
		sc := cfg.Slack
		ad, err := slack.New(slack.Config{
			BotToken: sc.BotToken, SigningSecret: sc.SigningSecret, AppToken: sc.AppToken,
			APIURL: sc.APIURL, FeedChannel: sc.FeedChannel,
			Help: slack.HelpText{For: cfg.Scope.For, NotFor: cfg.Scope.NotFor, Emergency: cfg.Emergency},
			Work: work,
		}, a.engine, a.store, a.log.With("platform", "slack"), kick)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		registerSubcommands(ad, a)
		a.names.Register("slack", ad.People())
		w := adapter{transport: ad.Transport()}
		if sc.SocketMode() {
			// Socket Mode needs no public URL: what most council networks allow.
			w.run = func(ctx context.Context) {
				if err := ad.RunSocketMode(ctx); err != nil && ctx.Err() == nil {
					a.log.Error("slack socket mode stopped", "err", err)
				}
			}
		}
		// The HTTP routes are served either way: Slack signs every request,
		// and an app may move between the two modes.
		ad.Register(mux)
		out = append(out, w)
		a.log.Info("slack connected", "socket_mode", sc.SocketMode())
	}
	if cfg.TeamsEnabled() {
		tc := cfg.Teams
		var regs []teams.Registration
		for _, r := range tc.Registrations {
			regs = append(regs, teams.Registration{Name: r.Name, TenantID: r.TenantID, AppID: r.AppID, AppPassword: r.AppPassword,
				TokenURL: r.TokenURL, ServiceURL: r.ServiceURL})
		}
		ad, err := teams.New(teams.Config{
			AppID: tc.AppID, AppPassword: tc.AppPassword, TenantID: tc.TenantID, Registrations: regs,
			OpenIDMetadataURL: tc.OpenIDMetadataURL, TokenURL: tc.TokenURL, ServiceURL: tc.ServiceURL,
			FeedConversation: tc.FeedConversation, FeedTenant: tc.FeedTenant, GraphURL: tc.GraphURL, FeedTeam: tc.FeedTeam,
			Help: teams.HelpText{For: cfg.Scope.For, NotFor: cfg.Scope.NotFor, Emergency: cfg.Emergency},
			Work: work,
		}, a.engine, a.store, a.log.With("platform", "teams"), kick)
		if err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
		ad.KeepNames(a.names)
		ad.Register(mux)
		out = append(out, adapter{transport: ad.Transport()})
		for _, l := range cfg.UnreachableOnTeams() {
			a.log.Warn("teams: a person no bot registration can reach; their messages will be parked", "who", l)
		}
		a.log.Info("teams connected", "registrations", max(1, len(regs)))
	}
	return out, nil
}

// registerSubcommands adds the record and report subcommands to Slack.
// The handlers read the case and the store through the adapter, which
// already holds them.
func registerSubcommands(ad *slack.Adapter, a *app) {
	ad.HandleSubcommand("record", ad.RecordHandler())
	ad.HandleSubcommand("report", ad.ReportHandler())
}
