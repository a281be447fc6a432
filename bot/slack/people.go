package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/directory"
	"github.com/escalate-app/escalate/workflow"
)

// People names Slack users the directory does not list (users.info: the
// real name and the profile's title) and finds people by email address
// (users.lookupByEmail), both under the users:read scope (and
// users:read.email for addresses).
func (a *Adapter) People() *People { return &People{api: a.api} }

// People is Slack's directory.Lookup.
type People struct{ api *slack.Client }

// NewPeople is People for a command that runs without the adapter
// (escalate directory import): the bot token and the Web API base URL
// ("" is Slack's own).
func NewPeople(botToken, apiURL string) *People {
	opts, _ := apiOptions(apiURL)
	return &People{api: slack.New(botToken, opts...)}
}

var _ directory.Lookup = (*People)(nil)

// LookUp implements directory.Lookup with users.info.
func (p *People) LookUp(ctx context.Context, id workflow.UserID) (directory.Found, error) {
	local, ok := slackUser(id)
	if !ok {
		return directory.Found{}, fmt.Errorf("%w: not a Slack user", directory.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := p.api.GetUserInfoContext(ctx, local)
	if err != nil {
		return directory.Found{}, slackPeopleErr("users.info", err)
	}
	return foundOf(u), nil
}

// ByEmail finds a Slack user by their email address (users.lookupByEmail).
func (p *People) ByEmail(ctx context.Context, email string) (workflow.UserID, directory.Found, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := p.api.GetUserByEmailContext(ctx, email)
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return "", directory.Found{}, &directory.RateLimited{RetryAfter: rl.RetryAfter}
	}
	if err != nil {
		return "", directory.Found{}, slackPeopleErr("users.lookupByEmail", err)
	}
	return userID(u.ID), foundOf(u), nil
}

func foundOf(u *slack.User) directory.Found {
	name := strings.TrimSpace(u.RealName)
	if name == "" {
		name = strings.TrimSpace(u.Profile.RealName)
	}
	if name == "" {
		name = strings.TrimSpace(u.Profile.DisplayName)
	}
	return directory.Found{Name: name, Title: strings.TrimSpace(u.Profile.Title), Email: u.Profile.Email,
		Bot: u.IsBot || u.ID == "USLACKBOT", Deleted: u.Deleted}
}

// slackPeopleErr: Slack's "no such person" answers are directory.ErrNotFound.
func slackPeopleErr(method string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "users_not_found") {
		return fmt.Errorf("%s: %w", method, directory.ErrNotFound)
	}
	return fmt.Errorf("%s: %s", method, errCode(err))
}
