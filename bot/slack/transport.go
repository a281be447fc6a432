package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Platform references the transport keeps in the store.
const (
	refThread    = "slack-thread"     // case ref → ts of its feed thread
	refDM        = "slack-dm"         // "ref|user" → "channel|ts" of the latest DM
	refDMLast    = "slack-dm-last"    // "ref|user" → outbox id of the latest DM
	refRecordPDF = "slack-record-pdf" // outbox id → "sent" once its record's PDF is attached
	refFeedLast  = "slack-feed-last"  // case ref → outbox id of the latest feed post
	refDMChannel = "slack-dm-channel" // user → id of the app's DM with them (D…)
)

// metaEventType names the message metadata every message Escalate posts
// carries: {"event_type": "escalate_outbox", "event_payload": {"id": <outbox
// id>}}. The id names the case, stage and step (ESC-2026-0042/3/1@slack),
// never a person's words; it is how a retry finds a message an earlier
// attempt posted (see find).
const metaEventType = "escalate_outbox"

// lookBack is how long before an item's first attempt a retry looks for
// it: room for the difference between our clock and Slack's.
const lookBack = 10 * time.Minute

func outboxMetadata(it store.OutboxItem) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metaEventType, EventPayload: map[string]any{"id": it.ID}})
}

// slackTS is a time as a Slack timestamp (seconds.micros).
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// find looks for the message an earlier attempt at it posted, by its
// metadata: in a conversation's history, or in a thread's replies (which
// the history does not list). It reads back to shortly before the item's
// first attempt, page by page.
func (t *transport) find(ctx context.Context, channel, thread string, it store.OutboxItem) (string, *slack.Message, error) {
	oldest := slackTS(it.PendingSince.Add(-lookBack))
	cursor := ""
	for page := 0; page < 50; page++ {
		var msgs []slack.Message
		var more bool
		var err error
		method := "conversations.history"
		if thread != "" {
			method = "conversations.replies"
			msgs, more, cursor, err = t.a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Cursor: cursor, Oldest: oldest, Inclusive: true, Limit: 200, IncludeAllMetadata: true})
		} else {
			var r *slack.GetConversationHistoryResponse
			r, err = t.a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Cursor: cursor, Oldest: oldest, Inclusive: true, Limit: 200, IncludeAllMetadata: true})
			if r != nil {
				msgs, more, cursor = r.Messages, r.HasMore, r.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", nil, classify(method, err)
		}
		for i := range msgs {
			md := msgs[i].Metadata
			if md.EventType == metaEventType && md.EventPayload["id"] == it.ID {
				return msgs[i].Timestamp, &msgs[i], nil
			}
		}
		if !more || cursor == "" {
			return "", nil, nil
		}
	}
	return "", nil, fmt.Errorf("slack: looking for %s: too many messages since its first attempt", it.ID)
}

// dmChannel is the id of the app's DM with a person: remembered from the
// first message posted to them, else opened (conversations.open gives
// the one that exists).
func (t *transport) dmChannel(ctx context.Context, user string) (string, error) {
	ch, ok, err := t.a.st.GetRef(ctx, refDMChannel, user)
	if err != nil {
		return "", fmt.Errorf("slack: read the DM channel: %w", err)
	}
	if ok {
		return ch, nil
	}
	c, _, _, err := t.a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", classify("conversations.open", err)
	}
	if err := t.a.st.SetRef(ctx, refDMChannel, user, c.ID); err != nil {
		return "", fmt.Errorf("slack: remember the DM channel: %w", err)
	}
	return c.ID, nil
}

// transport posts outbox messages: DMs to people, feed posts to the
// business team's channel in one thread per case.
type transport struct{ a *Adapter }

func (t *transport) Platform() string { return "slack" }

func (t *transport) Send(ctx context.Context, it store.OutboxItem) error {
	if it.Message.Feed {
		return t.feed(ctx, it)
	}
	return t.dm(ctx, it)
}

func (t *transport) renderer() renderer { return t.a.renderer() }

func (a *Adapter) renderer() renderer {
	if cal := a.eng.Env().Calendar; cal != nil {
		return renderer{loc: cal.Location()}
	}
	return renderer{}
}

func (t *transport) dm(ctx context.Context, it store.OutboxItem) error {
	m := it.Message
	user, ok := slackUser(m.To)
	if !ok {
		return outbox.Permanent(fmt.Errorf("slack: %s is not a Slack user", m.To.Platform()))
	}
	key := m.Ref + "|" + string(m.To)
	posted := false
	if m.Ref != "" {
		// The same item again (a crash between delivery and its
		// acknowledgement) is recognised, not posted twice.
		last, ok, err := t.a.st.GetRef(ctx, refDMLast, key)
		if err != nil {
			return fmt.Errorf("slack: read last DM: %w", err)
		}
		posted = ok && last == it.ID
	}
	if !posted && !it.PendingSince.IsZero() {
		// An earlier attempt may have posted it and died (or lost the
		// store) before recording it: look before posting again.
		channel, err := t.dmChannel(ctx, user)
		if err != nil {
			return err
		}
		ts, _, err := t.find(ctx, channel, "", it)
		if err != nil {
			return err
		}
		if ts != "" {
			t.a.log.InfoContext(ctx, "slack: found a DM an earlier attempt posted", "id", it.ID)
			if err := t.recordDM(ctx, user, key, it, channel, ts); err != nil {
				return err
			}
			posted = true
		}
	}
	if !posted {
		if m.Ref != "" {
			if err := t.retirePrevious(ctx, key, m.Ref); err != nil {
				return err
			}
		}
		blocks := t.renderer().message(m, modeDM, maxMessageBlocks)
		// Posting to the user id posts in the app's DM with that person.
		channel, ts, err := t.a.api.PostMessageContext(ctx, user,
			slack.MsgOptionText(fallbackText(m), false), slack.MsgOptionBlocks(blocks...), outboxMetadata(it))
		if err != nil {
			return classify("chat.postMessage", err)
		}
		t.a.recent.put(msgKey(channel, ts), blocks)
		if err := outbox.Reached(ctx, outbox.StepAnswered, it); err != nil {
			return err
		}
		if err := t.recordDM(ctx, user, key, it, channel, ts); err != nil {
			return err
		}
	}
	if m.Kind == workflow.MsgRecord && m.Ref != "" {
		return t.attachRecord(ctx, it, key)
	}
	return nil
}

// recordDM remembers where a DM is: the person's DM channel, and for a
// case the latest DM about it (whose buttons the next one retires, and
// beside which the record's PDF goes) and which item it was. A failure is
// retried like the delivery itself: the retry finds the message.
func (t *transport) recordDM(ctx context.Context, user, key string, it store.OutboxItem, channel, ts string) error {
	if err := t.a.st.SetRef(ctx, refDMChannel, user, channel); err != nil {
		return fmt.Errorf("slack: remember DM: %w", err)
	}
	if it.Message.Ref == "" {
		return nil
	}
	if err := t.a.st.SetRef(ctx, refDM, key, channel+"|"+ts); err != nil {
		return fmt.Errorf("slack: remember DM: %w", err)
	}
	if err := t.a.st.SetRef(ctx, refDMLast, key, it.ID); err != nil {
		return fmt.Errorf("slack: remember DM: %w", err)
	}
	return nil
}

// attachRecord puts the written record, as a PDF, beside the closing
// message in the person's DM: the record goes on the child's or adult's
// file. It is sent once per outbox item, even if the item is retried.
func (t *transport) attachRecord(ctx context.Context, it store.OutboxItem, key string) error {
	m := it.Message
	marker, marked, err := t.a.st.GetRef(ctx, refRecordPDF, it.ID)
	if err != nil {
		return fmt.Errorf("slack: read record marker: %w", err)
	}
	if marked && marker == "sent" {
		return nil
	}
	where, ok, err := t.a.st.GetRef(ctx, refDM, key)
	if err != nil || !ok {
		return fmt.Errorf("slack: find the DM for the record of %s: %v", m.Ref, err)
	}
	channel, _, _ := strings.Cut(where, "|")
	if !strings.HasPrefix(channel, "D") {
		return outbox.Permanent(fmt.Errorf("slack: the record of %s would go to %q, not a direct message", m.Ref, channel))
	}
	title := "Written record of " + m.Ref
	if ms, ok := strings.CutPrefix(marker, "pending:"); marked && ok {
		// An earlier upload may have been shared before it could be
		// recorded: look for it in the DM first.
		since, _ := strconv.ParseInt(ms, 10, 64)
		found, err := t.findFile(ctx, channel, title, time.UnixMilli(since))
		if err != nil {
			return err
		}
		if found {
			return t.a.st.SetRef(ctx, refRecordPDF, it.ID, "sent")
		}
	} else if err := t.a.st.SetRef(ctx, refRecordPDF, it.ID, "pending:"+strconv.FormatInt(t.a.eng.Now().UnixMilli(), 10)); err != nil {
		return fmt.Errorf("slack: mark the record's PDF pending: %w", err)
	}
	rec, err := record.ForViewer(ctx, t.a.eng, m.Ref, m.To)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("slack: record of %s: %w", m.Ref, err))
	}
	var pdf bytes.Buffer
	if err := record.PDF(&pdf, rec); err != nil {
		return fmt.Errorf("slack: render the record of %s: %w", m.Ref, err)
	}
	if _, err := t.a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(pdf.Bytes()), FileSize: pdf.Len(),
		Filename: rec.Ref + ".pdf", Title: title, Channel: channel,
	}); err != nil {
		return classify("files.upload", err)
	}
	if err := outbox.Reached(ctx, outbox.StepAnswered, it); err != nil {
		return err
	}
	if err := t.a.st.SetRef(ctx, refRecordPDF, it.ID, "sent"); err != nil {
		return fmt.Errorf("slack: remember the record was sent: %w", err)
	}
	return nil
}

// findFile looks in a DM, back to shortly before since, for a file shared
// with the given title.
func (t *transport) findFile(ctx context.Context, channel, title string, since time.Time) (bool, error) {
	cursor := ""
	for page := 0; page < 50; page++ {
		r, err := t.a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Cursor: cursor, Oldest: slackTS(since.Add(-lookBack)), Inclusive: true, Limit: 200})
		if err != nil {
			return false, classify("conversations.history", err)
		}
		for _, msg := range r.Messages {
			for _, f := range msg.Files {
				if f.Title == title {
					return true, nil
				}
			}
		}
		if !r.HasMore || r.ResponseMetaData.NextCursor == "" {
			return false, nil
		}
		cursor = r.ResponseMetaData.NextCursor
	}
	return false, fmt.Errorf("slack: looking for %s: too many messages since it was sent", title)
}

// retirePrevious takes the buttons off the person's previous DM about the
// case: the new one carries the buttons that are current. The previous
// message's words stay. Where it is (channel and ts, no words) is kept in
// the store; its blocks are remembered in memory, and read back from
// Slack when this process does not have them (after a restart).
func (t *transport) retirePrevious(ctx context.Context, key, ref string) error {
	prev, ok, err := t.a.st.GetRef(ctx, refDM, key)
	if err != nil {
		return fmt.Errorf("slack: read previous DM: %w", err)
	}
	if !ok {
		return nil
	}
	channel, ts, _ := strings.Cut(prev, "|")
	blocks, ok := t.a.recent.get(msgKey(channel, ts))
	if !ok {
		if blocks, err = t.readBack(ctx, channel, ts); err != nil {
			var ra *outbox.RetryAfter
			if errors.As(err, &ra) {
				return err
			}
			t.a.log.WarnContext(ctx, "read back a DM to retire its buttons", "ref", ref, "err", err)
			return nil
		}
	}
	if !hasActions(blocks) {
		return nil
	}
	nb := retired(blocks, "_"+escape(ref)+" has moved on: the current buttons are on the newer message below._")
	_, _, _, err = t.a.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(nb...))
	var rl *slack.RateLimitedError
	switch {
	case err == nil:
		t.a.recent.put(msgKey(channel, ts), nb)
	case errors.As(err, &rl):
		return classify("chat.update", err)
	default:
		t.a.log.WarnContext(ctx, "retire stale buttons", "ref", ref, "err", errCode(err))
	}
	return nil
}

// readBack reads one message's blocks from Slack: the history of its
// conversation from its ts to its ts, inclusive. A message that is gone
// has none.
func (t *transport) readBack(ctx context.Context, channel, ts string) ([]slack.Block, error) {
	r, err := t.a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: ts, Latest: ts, Inclusive: true, Limit: 1})
	if err != nil {
		return nil, classify("conversations.history", err)
	}
	for _, m := range r.Messages {
		if m.Timestamp == ts {
			return m.Blocks.BlockSet, nil
		}
	}
	return nil, nil
}

func (t *transport) feed(ctx context.Context, it store.OutboxItem) error {
	m := it.Message
	if t.a.cfg.FeedChannel == "" {
		return outbox.Permanent(errors.New("slack: no business-team channel is configured"))
	}
	var thread string
	if m.Ref != "" {
		last, ok, err := t.a.st.GetRef(ctx, refFeedLast, m.Ref)
		if err != nil {
			return fmt.Errorf("slack: read last feed post: %w", err)
		}
		if ok && last == it.ID {
			return nil
		}
		th, ok, err := t.a.st.GetRef(ctx, refThread, m.Ref)
		if err != nil {
			return fmt.Errorf("slack: read feed thread: %w", err)
		}
		if ok {
			thread = th
		}
	}
	if !it.PendingSince.IsZero() {
		// A thread's replies are not in the channel's history: a reply
		// is looked for in its thread, a first post in the channel.
		ts, _, err := t.find(ctx, t.a.cfg.FeedChannel, thread, it)
		if err != nil {
			return err
		}
		if ts != "" {
			t.a.log.InfoContext(ctx, "slack: found a feed post an earlier attempt posted", "id", it.ID)
			return t.recordFeed(ctx, it, thread, ts)
		}
	}
	// Title and facts only: the workflow builds feed messages without free
	// text or the subject reference, and Lines and History are never drawn
	// in a channel whatever they hold.
	blocks := t.renderer().message(m, modeFeed, maxMessageBlocks)
	opts := []slack.MsgOption{slack.MsgOptionText(fallbackText(m), false), slack.MsgOptionBlocks(blocks...), outboxMetadata(it)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, ts, err := t.a.api.PostMessageContext(ctx, t.a.cfg.FeedChannel, opts...)
	if err != nil {
		return classify("chat.postMessage", err)
	}
	if err := outbox.Reached(ctx, outbox.StepAnswered, it); err != nil {
		return err
	}
	return t.recordFeed(ctx, it, thread, ts)
}

// recordFeed remembers a case's feed thread (its first post) and its
// latest post. A failure is retried like the delivery: the retry finds
// the post rather than posting it again.
func (t *transport) recordFeed(ctx context.Context, it store.OutboxItem, thread, ts string) error {
	ref := it.Message.Ref
	if ref == "" {
		return nil
	}
	if thread == "" {
		if err := t.a.st.SetRef(ctx, refThread, ref, ts); err != nil {
			return fmt.Errorf("slack: remember feed thread: %w", err)
		}
	}
	if err := t.a.st.SetRef(ctx, refFeedLast, ref, it.ID); err != nil {
		return fmt.Errorf("slack: remember feed post: %w", err)
	}
	return nil
}

// permanentErrors are Slack error codes that retrying cannot fix: the
// message is parked for an operator.
var permanentErrors = map[string]bool{
	"user_not_found": true, "channel_not_found": true, "not_in_channel": true,
	"is_archived": true, "account_inactive": true, "user_disabled": true,
	"cannot_dm_bot": true, "messages_tab_disabled": true, "restricted_action": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true,
	"no_text": true, "too_many_attachments": true, "invalid_arguments": true,
}

// classify maps a Slack error to the outbox's kinds: rate limited (retry
// after Slack's Retry-After), permanent, or transient.
func classify(method string, err error) error {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return &outbox.RetryAfter{After: rl.RetryAfter}
	case errors.As(err, &sc) && sc.Code == 429:
		return &outbox.RetryAfter{After: time.Second}
	case errors.As(err, &se) && permanentErrors[se.Err]:
		return outbox.Permanent(fmt.Errorf("slack %s: %s", method, se.Err))
	case errors.As(err, &se) && (se.Err == "ratelimited" || se.Err == "rate_limited"):
		return &outbox.RetryAfter{After: time.Second}
	}
	return fmt.Errorf("slack %s: %s", method, errCode(err))
}

// errCode is an error as Slack's code or the transport's message: never a
// request body, and never the URL (a response_url is a credential).
func errCode(err error) string {
	var se slack.SlackErrorResponse
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		return se.Err
	case errors.As(err, &ue):
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
