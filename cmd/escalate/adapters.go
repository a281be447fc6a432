package main

import (
	"context"
	"net/http"

	"github.com/escalate-app/escalate/config"
)

// chatAdapters wires Slack and Teams when they are configured.
func chatAdapters(ctx context.Context, cfg *config.Config, a *app, mux *http.ServeMux, kick func()) ([]adapter, error) {
	return nil, nil
}
