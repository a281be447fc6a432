package teams

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/workflow"
)

// recordCommand answers "record ESC-2026-0042": the written record of the
// case as a card, for someone allowed to see it, followed by the offer of
// its PDF (a bot can put a file in a 1:1 chat only through Teams'
// file-consent round trip). Both carry the case's words, so they go only to
// the person's own chat with Escalate (tell), never to a channel the
// command was typed in.
func (a *Adapter) recordCommand(ctx context.Context, act schema.Activity, user workflow.UserID, ref string) error {
	if ref == "" {
		_, err := a.replyHere(ctx, act, notice("Which case?", "Say record and the case reference, for example record ESC-2026-0042."))
		return err
	}
	rec, err := record.ForViewer(ctx, a.eng, ref, user)
	var refusal *workflow.Refusal
	if errors.As(err, &refusal) {
		_, err := a.replyHere(ctx, act, notice("Not done", refusal.Message))
		return err
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if _, err := a.tell(ctx, act, user, recordCard(rec)); err != nil {
		return err
	}
	// The card is read in Teams; the PDF is the copy to keep, offered
	// through the file-consent round trip (fileconsent.go). The card has
	// gone out, so a failed offer is logged rather than failing the reply.
	if err := a.offerRecordFile(ctx, user, rec); err != nil {
		a.log.WarnContext(ctx, "offer the record file", "ref", rec.Ref, "error", err.Error())
	}
	return nil
}

// recordCard lays a record out as a card: what the case is, every event
// with its time, stage, actor and words, and the outcome.
func recordCard(rec record.Record) *Card {
	c := newCard(heading("Written record of " + rec.Ref))
	fact := func(facts []CardFact, title, value string) []CardFact {
		if value == "" {
			return facts
		}
		return append(facts, CardFact{Title: title, Value: plainText(value)})
	}
	var facts []CardFact
	facts = fact(facts, "Partnership", rec.Partnership)
	facts = fact(facts, "About", strings.TrimSpace(rec.SubjectType+" "+rec.SubjectRef))
	facts = fact(facts, "Category", rec.Category)
	facts = fact(facts, "Raised by", party(rec.Raiser))
	facts = fact(facts, "With", party(rec.Responder))
	facts = fact(facts, "Started at", rec.StartStage)
	facts = fact(facts, "Stage reached", rec.StageReached)
	facts = fact(facts, "State", rec.State)
	facts = fact(facts, "Raised", stamp(rec.Raised))
	facts = fact(facts, "Closed", stamp(rec.Closed))
	if rec.ImmediateRisk {
		facts = fact(facts, "Risk of immediate harm", "yes")
	}
	c.Body = append(c.Body, FactSet{Type: "FactSet", Facts: facts})
	words := func(label, s string) {
		if s != "" {
			c.Body = append(c.Body, bold(label), text(s))
		}
	}
	words("The disagreement", rec.Disagreement)
	words("Outcome sought", rec.OutcomeSought)
	words("Evidence", rec.Evidence)

	if len(rec.Events) > 0 {
		c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: "What happened", Weight: "Bolder", Size: "Medium", Wrap: true, Spacing: "Large"})
	}
	for _, e := range rec.Events {
		items := []Element{small(fmt.Sprintf("%s · %s · %s", stamp(e.At), e.Stage, e.Actor)), text(e.Summary)}
		if e.Words != "" {
			label := e.WordsLabel
			if label == "" {
				label = "Words"
			}
			items = append(items, text(label+": "+e.Words))
		}
		c.Body = append(c.Body, Container{Type: "Container", Separator: true, Items: items})
	}
	if rec.Outcome != nil {
		o := rec.Outcome
		c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: "Outcome", Weight: "Bolder", Size: "Medium", Wrap: true, Spacing: "Large"})
		words("Agreed", o.Agreed)
		words("Outstanding", o.Outstanding)
		words("How it will be pursued", o.HowPursued)
		var of []CardFact
		of = fact(of, "Proposed by", o.ProposedBy)
		of = fact(of, "Confirmed by", o.ConfirmedBy)
		if len(of) > 0 {
			c.Body = append(c.Body, FactSet{Type: "FactSet", Facts: of})
		}
	}
	if rec.WithdrawReason != "" {
		words("Withdrawn because", rec.WithdrawReason)
	}
	if rec.Purged {
		c.Body = append(c.Body, small("The case's words were deleted under the retention policy."))
	}
	return c
}

func party(p record.Party) string {
	switch {
	case p.Person == "":
		return p.Agency
	case p.Agency == "":
		return p.Person
	}
	return p.Person + " (" + p.Agency + ")"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return record.FormatTime(t)
}

// report answers "report [FROM TO]" from a member of the business team:
// the board report's summary, posted as a card to the business team's
// conversation (the charts and CSV come from Slack or the command line).
// A report carries no free text and no subject reference.
func (a *Adapter) reportCommand(ctx context.Context, act schema.Activity, user workflow.UserID, args []string) error {
	card, err := a.reportAnswer(ctx, user, args)
	if err != nil {
		return err
	}
	_, err = a.replyHere(ctx, act, card)
	return err
}

// reportAnswer posts the report when the person may have it, and is what
// they are told.
func (a *Adapter) reportAnswer(ctx context.Context, user workflow.UserID, args []string) (*Card, error) {
	env := a.eng.Env()
	if !report.Allowed(env.Directory, user) {
		return notice("Reports are for the business team", "Only members of the partnership's business team can post board reports. Nothing was posted."), nil
	}
	if a.cfg.FeedConversation == "" {
		return notice("No business-team conversation is set up", "Ask whoever runs Escalate to set it. Nothing was posted."), nil
	}
	loc := time.UTC
	if env.Calendar != nil && env.Calendar.Location() != nil {
		loc = env.Calendar.Location()
	}
	now := a.eng.Now()
	var from, to time.Time
	problem := ""
	switch len(args) {
	case 0:
		from, to = report.DefaultPeriod(now, loc)
	case 2:
		var err error
		if from, to, err = report.ParsePeriod(args[0], args[1], loc); err != nil {
			problem = err.Error()
		}
	default:
		problem = "Give both a start and an end date, or neither."
	}
	if problem == "" && !from.Before(now) {
		problem = "That period has not started yet."
	}
	if problem != "" {
		return notice("Which period?", problem+" Say report 2026-01-01 2026-03-31 (both days included), or report alone for the last quarter. Nothing was posted."), nil
	}
	// What has not happened yet is not counted.
	if to.After(now) {
		to = now
	}
	cases, err := report.Load(ctx, a.st, from, to)
	if err != nil {
		return nil, err
	}
	r := report.Compute(env, cases, from, to)
	var md bytes.Buffer
	if err := report.Markdown(&md, r); err != nil {
		return nil, err
	}
	label := report.PeriodLabel(r.From, r.To)
	reg, err := a.feedRegistration()
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if _, err := reg.conn.send(ctx, a.serviceURL(ctx, reg), a.cfg.FeedConversation, summaryCard(md.String()), "Escalation report: "+label); err != nil {
		return nil, fmt.Errorf("report: post to the business-team conversation: %w", err)
	}
	return notice("Posted to the business-team channel", "The report for "+label+" is in the business team's channel."), nil
}

// summaryCard lays the report's Markdown summary out as a card.
func summaryCard(md string) *Card {
	c := newCard()
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "# "):
			c.Body = append(c.Body, heading(strings.TrimPrefix(line, "# ")))
		case strings.HasPrefix(line, "## "):
			c.Body = append(c.Body, TextBlock{Type: "TextBlock", Text: plainText(strings.TrimPrefix(line, "## ")), Weight: "Bolder", Wrap: true, Spacing: "Medium"})
		case strings.HasPrefix(line, "- "):
			c.Body = append(c.Body, text("• "+strings.TrimPrefix(line, "- ")))
		default:
			c.Body = append(c.Body, text(line))
		}
	}
	return c
}
