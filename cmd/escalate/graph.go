package main

import (
	"fmt"

	"github.com/escalate-app/escalate/bot/graph"
	"github.com/escalate-app/escalate/config"
)

// graphClient is Microsoft Graph for the configured app registration
// (config.Graph: GRAPH_API_URL, GRAPH_TENANT_ID, GRAPH_CLIENT_ID,
// GRAPH_CLIENT_SECRET, or the Teams bot's registration).
func graphClient(cfg *config.Config) (*graph.Client, error) {
	g := cfg.Graph
	c, err := graph.New(graph.Config{BaseURL: g.APIURL, TokenURL: g.TokenURL, TenantID: g.TenantID, ClientID: g.ClientID, ClientSecret: g.ClientSecret})
	if err != nil {
		return nil, fmt.Errorf("microsoft graph: %w", err)
	}
	return c, nil
}
