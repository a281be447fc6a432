package slack

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/workflow"
)

// eventTTL is how long an event id is remembered: Slack retries an event
// for a few minutes at most.
const eventTTL = time.Hour

// event handles an Events API event, once per event id however often
// Slack delivers it.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		first, err := a.st.Once(ctx, "slack-event:"+cb.EventID, eventTTL)
		if err != nil {
			a.log.WarnContext(ctx, "deduplicate an event", "err", err)
		} else if !first {
			return
		}
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab == "home" || e.Tab == "" {
			a.publishHome(ctx, e.User)
		}
	}
}

// maxHomeCases keeps the Home tab inside Slack's 100 blocks: two pages of
// /escalate list.
const maxHomeCases = 2 * engine.ListPageSize

// publishHome draws the person's Home tab: their open cases with stage,
// deadline and the buttons they can use now.
func (a *Adapter) publishHome(ctx context.Context, slackID string) {
	user := userID(slackID)
	page, err := a.eng.MyCases(ctx, user, 0, maxHomeCases)
	if err != nil {
		a.log.ErrorContext(ctx, "read open cases for the Home tab", "err", err)
		return
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Escalate", maxHeaderText)),
		contextBlock(escape("Professional disagreements under " + a.eng.Env().Policy.Partnership + "'s escalation policy.")),
		slack.NewActionBlock("home:raise", slack.NewButtonBlockElement(actionRaise, "raise", plain("Raise a disagreement", maxButtonText))),
	}
	if em := a.emergency(); len(em) > 0 {
		text := "*At risk of immediate harm?* Use the emergency route now:"
		for _, l := range em {
			text += "\n• " + escape(l)
		}
		blocks = append(blocks, section(truncateEscaped(text, maxSectionText)))
	}
	blocks = append(blocks, slack.NewDividerBlock())
	var entries []workflow.Message
	for _, d := range page.Cases {
		entries = append(entries, a.caseSummary(d, user))
	}
	head := info(page.Heading())
	if page.More() > 0 {
		// The Home tab shows the first page; the rest are a command away.
		head.Lines = append(head.Lines, fmt.Sprintf("%d more are not shown here: `/escalate list %d` lists them from number %d.", page.More(), maxHomeCases/engine.ListPageSize+1, maxHomeCases+1))
	}
	blocks = append(blocks, a.renderMany(head, entries, maxViewBlocks-len(blocks))...)
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
	if _, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: slackID, View: view}); err != nil {
		a.log.WarnContext(ctx, "publish the Home tab", "err", errCode(err))
	}
}
