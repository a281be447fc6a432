package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/bot/entra"
	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/workflow"
)

// Registration is one Azure bot registration: a single-tenant bot of one
// agency's Microsoft Entra tenant. Every registration points at the same
// Escalate (its messaging endpoint is this /api/messages); each reaches
// the people of its own tenant only, with a token from that tenant.
type Registration struct {
	// Name is how the configuration and the operator name it (council,
	// nhs-trust); its password is TEAMS_APP_PASSWORD_<NAME>.
	Name string
	// TenantID is the tenant the bot was created in and serves.
	TenantID string
	// AppID and AppPassword are its Microsoft App ID and client secret.
	AppID, AppPassword string
	// TokenURL is its tenant's token endpoint ("": the public cloud's for
	// TenantID).
	TokenURL string
	// ServiceURL is the connector for messages to its tenant's people
	// ("": Config.ServiceURL, else the one its latest activity came from).
	ServiceURL string
}

// registration is a Registration with its own token and connector.
type registration struct {
	Registration
	conn  *connector
	graph *connector // Microsoft Graph with this bot's token (nil: no GraphURL)
}

// tenantPlaceholder in a token URL is replaced by each registration's
// tenant id (TEAMS_TOKEN_URL with several registrations).
const tenantPlaceholder = "{tenant}"

// tokenURLFor is a registration's token endpoint.
func tokenURLFor(own, shared, tenant string) string {
	switch {
	case own != "":
		return strings.ReplaceAll(own, tenantPlaceholder, tenant)
	case shared != "":
		return strings.ReplaceAll(shared, tenantPlaceholder, tenant)
	}
	return TokenURL(tenant)
}

// registrations builds the bots from the configuration: the listed ones,
// or the one of AppID, AppPassword and TenantID.
func registrations(cfg Config, client *http.Client, now func() time.Time) ([]*registration, error) {
	list := cfg.Registrations
	if len(list) == 0 {
		if strings.TrimSpace(cfg.AppID) == "" || cfg.AppPassword == "" {
			return nil, errors.New("teams: TEAMS_APP_ID and TEAMS_APP_PASSWORD (or teams.registrations) are required; Escalate never accepts unauthenticated activities")
		}
		list = []Registration{{Name: "default", TenantID: cfg.TenantID, AppID: strings.TrimSpace(cfg.AppID), AppPassword: cfg.AppPassword, TokenURL: cfg.TokenURL}}
	}
	tenants, apps := map[string]string{}, map[string]string{}
	var out []*registration
	for _, r := range list {
		r.TenantID, r.AppID = strings.ToLower(strings.TrimSpace(r.TenantID)), strings.TrimSpace(r.AppID)
		switch {
		case r.AppID == "" || r.AppPassword == "":
			return nil, fmt.Errorf("teams: registration %q needs an app id and a password; Escalate never accepts unauthenticated activities", r.Name)
		case len(list) > 1 && r.TenantID == "":
			return nil, fmt.Errorf("teams: registration %q needs its tenant id: with several registrations each serves one tenant", r.Name)
		case tenants[r.TenantID] != "":
			return nil, fmt.Errorf("teams: registrations %q and %q are for the same tenant", tenants[r.TenantID], r.Name)
		case apps[r.AppID] != "":
			return nil, fmt.Errorf("teams: registrations %q and %q have the same app id", apps[r.AppID], r.Name)
		}
		tenants[r.TenantID], apps[r.AppID] = r.Name, r.Name
		if len(cfg.Registrations) == 0 {
			r.TokenURL = tokenURLFor("", cfg.TokenURL, r.TenantID)
		} else {
			r.TokenURL = tokenURLFor(r.TokenURL, cfg.TokenURL, r.TenantID)
		}
		tokens := &entra.Token{URL: r.TokenURL, ClientID: r.AppID, Secret: r.AppPassword, Scope: connectorScope, Client: client, Now: now}
		reg := &registration{Registration: r, conn: &connector{client: client, tokens: tokens}}
		if cfg.GraphURL != "" {
			gt := &entra.Token{URL: r.TokenURL, ClientID: r.AppID, Secret: r.AppPassword, Scope: graphScope, Client: client, Now: now}
			reg.graph = &connector{client: client, tokens: gt}
		}
		out = append(out, reg)
	}
	return out, nil
}

// activityTenant is the tenant an activity says it comes from: Teams puts
// it in channelData.tenant.id and in conversation.tenantId. Two that
// disagree are no tenant at all.
func activityTenant(act schema.Activity) (string, bool) {
	var fromData string
	if t, ok := act.ChannelData["tenant"].(map[string]any); ok {
		fromData, _ = t["id"].(string)
	}
	fromData, fromConv := strings.ToLower(strings.TrimSpace(fromData)), strings.ToLower(strings.TrimSpace(act.Conversation.TenantID))
	switch {
	case fromData != "" && fromConv != "" && fromData != fromConv:
		return "", false
	case fromData != "":
		return fromData, true
	}
	return fromConv, fromConv != ""
}

// byTenant is the registration of a tenant.
func (a *Adapter) byTenant(tenant string) (*registration, bool) {
	tenant = strings.ToLower(tenant)
	for _, r := range a.regs {
		if r.TenantID == tenant {
			return r, true
		}
	}
	return nil, false
}

// byApp is the registration of an app id.
func (a *Adapter) byApp(appID string) (*registration, bool) {
	for _, r := range a.regs {
		if strings.EqualFold(r.AppID, appID) {
			return r, true
		}
	}
	return nil, false
}

// via is the registration an (authenticated) activity came through, which
// answers it: the one of its tenant; with a single bot, that bot.
func (a *Adapter) via(act schema.Activity) *registration {
	if t, ok := activityTenant(act); ok {
		if r, ok := a.byTenant(t); ok {
			return r
		}
	}
	return a.regs[0]
}

// errNoRegistration: Escalate has no bot in the person's tenant. Their
// messages are parked with this reason, never sent through another
// organisation's bot.
var errNoRegistration = errors.New("no Teams bot registration")

// registrationFor is the bot that reaches a person: the one of their
// tenant by the directory (their own teams_tenant, else their agency's),
// else the one of the tenant they last wrote to Escalate from, else the
// only one. The answer is permanent when there is none.
func (a *Adapter) registrationFor(to workflow.UserID, ref conversationRef) (*registration, error) {
	tenant := ""
	if d := a.eng.Env().Directory; d != nil {
		tenant = d.TeamsTenant(to)
	}
	if tenant == "" {
		tenant = ref.TenantID
	}
	if tenant == "" {
		if len(a.regs) == 1 {
			return a.regs[0], nil
		}
		return nil, outbox.Permanent(fmt.Errorf("teams: %w for this person: the directory gives no teams_tenant for them or their agency, and Escalate serves %d tenants; set teams_tenant in the directory", errNoRegistration, len(a.regs)))
	}
	if r, ok := a.byTenant(tenant); ok {
		return r, nil
	}
	return nil, outbox.Permanent(fmt.Errorf("teams: %w for tenant %s, the person's (teams_tenant in the directory): not sent through another organisation's bot; add the tenant's bot under teams.registrations", errNoRegistration, tenant))
}

// feedRegistration is the bot of the tenant the business team's channel
// belongs to.
func (a *Adapter) feedRegistration() (*registration, error) {
	if a.cfg.FeedTenant != "" {
		if r, ok := a.byTenant(a.cfg.FeedTenant); ok {
			return r, nil
		}
		return nil, outbox.Permanent(fmt.Errorf("teams: %w for tenant %s, the business-team channel's (business_team.teams_tenant)", errNoRegistration, a.cfg.FeedTenant))
	}
	if len(a.regs) == 1 {
		return a.regs[0], nil
	}
	return nil, outbox.Permanent(errors.New("teams: business_team.teams_tenant is required with several registrations: it says whose bot posts to the business-team channel"))
}

// libraryFor is the library's adapter bound to one request's context and
// sending through one registration.
func (a *Adapter) libraryFor(ctx context.Context, r *registration) *core.BotFrameworkAdapter {
	b := a.bot
	b.AdapterSetting.AppID, b.AdapterSetting.AppPassword = r.AppID, r.AppPassword
	b.AdapterSetting.ChannelAuthTenant, b.AdapterSetting.OauthEndpoint = r.TenantID, r.TokenURL
	b.AdapterSetting.CredentialProvider = auth.SimpleCredentialProvider{AppID: r.AppID, Password: r.AppPassword}
	b.Client = libraryClient{ctx: ctx, c: r.conn}
	return &b
}
