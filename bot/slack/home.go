package slack

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

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

// maxHomeCases keeps the Home tab inside Slack's 100 blocks.
const maxHomeCases = 20

// publishHome draws the person's Home tab: their open cases with stage,
// deadline and the buttons they can use now.
func (a *Adapter) publishHome(ctx context.Context, slackID string) {
	user := userID(slackID)
	ds, err := a.eng.MyCases(ctx, user)
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
	for _, d := range ds {
		entries = append(entries, a.caseSummary(d, user))
	}
	head := info("You have no open cases")
	if len(ds) > 0 {
		head = info(fmt.Sprintf("Your open cases (%d), soonest deadline first", len(ds)))
	}
	if len(entries) > maxHomeCases {
		entries = entries[:maxHomeCases]
	}
	blocks = append(blocks, a.renderMany(head, entries, maxViewBlocks-len(blocks))...)
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
	if _, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: slackID, View: view}); err != nil {
		a.log.WarnContext(ctx, "publish the Home tab", "err", errCode(err))
	}
}
