package teams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Exactly once across a crash: the outbox marks an item pending before
// the connector is called, and the transport records the activity the
// connector created (dl:<id>) as soon as it answers. A process that dies
// between that answer and that record leaves a pending item with no
// record, and the Bot Framework gives a bot no way to read a chat back.
// Microsoft Graph does: each DM carries a marker made from its outbox id
// (the id of its first text block), and before a pending item with no
// record is sent again, the person's 1:1 chat with the bot is read
// (GET /chats/{id}/messages, newest first) for a message carrying it. In
// Teams a message's Graph id is its activity id, so one found is recorded
// as if the connector's answer had been. A feed post is looked for the
// same way in the business team's channel (its thread's replies, or the
// channel's posts changed since the item's first attempt), when the
// channel's team is configured (FeedTeam). Without Graph (no GraphURL,
// no FeedTeam for the feed, or the permissions not granted) such an item
// is sent again: at least once.

// graphScope is what a bot's Graph token is for.
const graphScope = "https://graph.microsoft.com/.default"

// refGraphChat keeps, per person, the Graph id of their 1:1 chat with the
// bot ("user|app" → chat id), found once.
const refGraphChat = "teams-graph-chat"

// lookBack is how many of a chat's newest messages are read for a marker:
// a DM comes back within minutes, with few messages after it.
const lookBack = 50

// marker is the id an outbox item's card carries.
func marker(itemID string) string {
	h := sha256.Sum256([]byte(itemID))
	return "escalate-" + hex.EncodeToString(h[:12])
}

// mark gives a card its outbox item's marker (on its first text block).
func mark(c *Card, itemID string) *Card {
	if c == nil || len(c.Body) == 0 {
		return c
	}
	tb, ok := c.Body[0].(TextBlock)
	if !ok {
		return c
	}
	out := *c
	out.Body = append([]Element(nil), c.Body...)
	tb.ID = marker(itemID)
	out.Body[0] = tb
	return &out
}

// errNoLookup: Graph cannot be asked (no GraphURL, or the person is known
// by no AAD object id).
var errNoLookup = errors.New("teams: no Graph lookup")

// findPosted looks in a person's 1:1 chat with a bot for the message an
// earlier attempt at an outbox item posted: its activity id, whether one
// was found, and errNoLookup when Graph cannot say.
func (a *Adapter) findPosted(ctx context.Context, reg *registration, to workflow.UserID, itemID string) (string, bool, error) {
	aad, ok := pickerValue(to)
	if reg.graph == nil || !ok || !objectID.MatchString(aad) {
		return "", false, errNoLookup
	}
	base := strings.TrimSuffix(a.cfg.GraphURL, "/")
	key := aad + "|" + reg.AppID
	chat, ok, err := a.st.GetRef(ctx, refGraphChat, key)
	if err != nil {
		return "", false, fmt.Errorf("teams: read the Graph chat: %w", err)
	}
	if !ok {
		var apps struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
		}
		q := url.Values{"$expand": {"teamsApp"}, "$filter": {"teamsApp/externalId eq '" + reg.AppID + "'"}}
		if err := reg.graph.call(ctx, "GET", base+"/users/"+url.PathEscape(aad)+"/teamwork/installedApps?"+q.Encode(), "graph: installed apps", nil, &apps); err != nil {
			return "", false, graphErr(err)
		}
		if len(apps.Value) == 0 {
			return "", false, nil // not installed for them: nothing was posted
		}
		var c struct {
			ID string `json:"id"`
		}
		if err := reg.graph.call(ctx, "GET", base+"/users/"+url.PathEscape(aad)+"/teamwork/installedApps/"+url.PathEscape(apps.Value[0].ID)+"/chat", "graph: the chat", nil, &c); err != nil {
			return "", false, graphErr(err)
		}
		if c.ID == "" {
			return "", false, errors.New("teams: graph: the chat has no id")
		}
		chat = c.ID
		if err := a.st.SetRef(ctx, refGraphChat, key, chat); err != nil {
			return "", false, fmt.Errorf("teams: remember the Graph chat: %w", err)
		}
	}
	var msgs struct {
		Value []graphMessage `json:"value"`
	}
	q := url.Values{"$top": {fmt.Sprint(lookBack)}, "$orderby": {"createdDateTime desc"}}
	if err := reg.graph.call(ctx, "GET", base+"/chats/"+url.PathEscape(chat)+"/messages?"+q.Encode(), "graph: chat messages", nil, &msgs); err != nil {
		return "", false, graphErr(err)
	}
	id, found := carrying(msgs.Value, itemID)
	return id, found, nil
}

// graphMessage is the part of a Graph chatMessage a lookup reads.
type graphMessage struct {
	ID          string `json:"id"`
	Attachments []struct {
		Content string `json:"content"`
	} `json:"attachments"`
}

// carrying is the message whose card carries an item's marker.
func carrying(msgs []graphMessage, itemID string) (string, bool) {
	want := `"` + marker(itemID) + `"`
	for _, m := range msgs {
		for _, att := range m.Attachments {
			if strings.Contains(att.Content, want) {
				return m.ID, true
			}
		}
	}
	return "", false
}

// maxPages bounds how many pages of a channel's changed posts are read.
const maxPages = 5

// findFeedPost looks in the business team's channel for the post an
// earlier attempt at a feed item made: among the replies of the case's
// thread (root set), else among the channel's posts changed since the
// item's first attempt.
func (a *Adapter) findFeedPost(ctx context.Context, reg *registration, root string, it store.OutboxItem) (string, bool, error) {
	if reg.graph == nil || a.cfg.FeedTeam == "" {
		return "", false, errNoLookup
	}
	base := strings.TrimSuffix(a.cfg.GraphURL, "/")
	channel := base + "/teams/" + url.PathEscape(a.cfg.FeedTeam) + "/channels/" + url.PathEscape(a.cfg.FeedConversation) + "/messages"
	var u string
	if root != "" {
		u = channel + "/" + url.PathEscape(root) + "/replies?" + url.Values{"$top": {fmt.Sprint(lookBack)}}.Encode()
	} else {
		since := it.PendingSince.Add(-time.Minute).UTC().Format(time.RFC3339)
		u = channel + "/delta?" + url.Values{"$filter": {"lastModifiedDateTime gt " + since}}.Encode()
	}
	for range maxPages {
		var page struct {
			Value []graphMessage `json:"value"`
			Next  string         `json:"@odata.nextLink"`
		}
		if err := reg.graph.call(ctx, "GET", u, "graph: channel messages", nil, &page); err != nil {
			return "", false, graphErr(err)
		}
		if id, ok := carrying(page.Value, it.ID); ok {
			return id, true, nil
		}
		if page.Next == "" {
			return "", false, nil
		}
		u = page.Next
	}
	return "", false, nil
}

// graphErr keeps Graph's answers in the outbox's terms, except that a
// refusal retrying cannot change (the permissions not granted) is
// errNoLookup: the item is then sent again rather than parked.
func graphErr(err error) error {
	if outbox.IsPermanent(err) {
		return fmt.Errorf("%w: %v", errNoLookup, err)
	}
	return fmt.Errorf("teams: %w", err)
}

// noLookup says, when Graph was asked and refused (its permissions not
// granted), that an item is sent again without being looked for. Without
// Graph configured that is the rule, and said once in the README.
func noLookup(ctx context.Context, a *Adapter, err error, it store.OutboxItem) {
	if err != errNoLookup {
		a.log.WarnContext(ctx, "teams: an earlier attempt at this item left no record and Graph cannot be asked; sending it again", "id", it.ID, "error", err.Error())
	}
}
