package slack

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/bot/report"
	"github.com/escalate-app/escalate/workflow"
)

// RecordHandler answers `/escalate record ESC-2026-0042`: the written
// record of a case, as a PDF in the person's direct messages. Only people
// allowed to see the case get it (record.ForViewer refuses the others).
// The file never goes to the channel the command was typed in: the record
// carries the case's words and its subject reference.
func (a *Adapter) RecordHandler() SubcommandHandler {
	return func(ctx context.Context, req SubcommandRequest) (workflow.Message, error) {
		ref := strings.TrimSpace(req.Args)
		if ref == "" {
			return info("Which case?", "Give its reference: `/escalate record ESC-2026-0042`."), nil
		}
		rec, err := record.ForViewer(ctx, a.eng, ref, req.User)
		if err != nil {
			return workflow.Message{}, err
		}
		user, ok := slackUser(req.User)
		if !ok {
			return workflow.Message{}, fmt.Errorf("record %s: %q is not a Slack user", rec.Ref, req.User)
		}
		var pdf bytes.Buffer
		if err := record.PDF(&pdf, rec); err != nil {
			return workflow.Message{}, fmt.Errorf("record %s: render the PDF: %w", rec.Ref, err)
		}
		// Posting to the person's user id opens (or finds) the DM with
		// the app; its channel id is where the file goes.
		dm, _, err := a.api.PostMessageContext(ctx, user,
			slack.MsgOptionText(fmt.Sprintf("The written record of %s is attached.", rec.Ref), false))
		if err != nil {
			return workflow.Message{}, fmt.Errorf("record %s: message the person: %w", rec.Ref, err)
		}
		if !strings.HasPrefix(dm, "D") {
			// Anything but a direct message would show the record to others.
			return workflow.Message{}, fmt.Errorf("record %s: Slack answered channel %q, not a direct message", rec.Ref, dm)
		}
		if _, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(pdf.Bytes()), FileSize: pdf.Len(),
			Filename: rec.Ref + ".pdf", Title: "Written record of " + rec.Ref, Channel: dm,
		}); err != nil {
			return workflow.Message{}, fmt.Errorf("record %s: upload the PDF: %w", rec.Ref, err)
		}
		return info("Sent to your direct messages", fmt.Sprintf("The written record of %s is in your direct messages with Escalate.", rec.Ref)), nil
	}
}

// ReportHandler answers `/escalate report [FROM TO]`: the board report of
// a period (both dates included, YYYY-MM-DD; by default the last complete
// quarter), posted to the business team's channel with its charts and the
// cases as CSV. Only members of the business team may ask. A report
// carries no free text and no subject reference, so it may go to a
// channel.
func (a *Adapter) ReportHandler() SubcommandHandler {
	return func(ctx context.Context, req SubcommandRequest) (workflow.Message, error) {
		env := a.eng.Env()
		if !report.Allowed(env.Directory, req.User) {
			return info("Reports are for the business team", "Only members of the partnership's business team can post board reports. Nothing was posted."), nil
		}
		if a.cfg.FeedChannel == "" {
			return info("No business-team channel is set up", "Ask whoever runs Escalate to set the business team's channel. Nothing was posted."), nil
		}
		from, to, problem := reportPeriod(req.Args, a.eng.Now(), reportLocation(env))
		if problem != "" {
			return info("Which period?", problem, "Give two dates, both included: `/escalate report 2026-01-01 2026-03-31`, or nothing for the last quarter. Nothing was posted."), nil
		}
		cases, err := report.Load(ctx, a.st, from, to)
		if err != nil {
			return workflow.Message{}, err
		}
		r := report.Compute(env, cases, from, to)
		var summary, csvFile bytes.Buffer
		if err := report.Markdown(&summary, r); err != nil {
			return workflow.Message{}, err
		}
		if err := report.CSV(&csvFile, r); err != nil {
			return workflow.Message{}, err
		}
		charts, err := report.Charts(r)
		if err != nil {
			return workflow.Message{}, err
		}
		label := report.PeriodLabel(r.From, r.To)
		blocks := reportBlocks(summary.String())
		if _, _, err := a.api.PostMessageContext(ctx, a.cfg.FeedChannel,
			slack.MsgOptionText("Escalation report: "+label, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			return workflow.Message{}, fmt.Errorf("report: post the summary: %w", err)
		}
		files := map[string][]byte{report.FileCases: csvFile.Bytes()}
		for name, png := range charts {
			files[name] = png
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			b := files[name]
			if _, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
				Reader: bytes.NewReader(b), FileSize: len(b), Filename: name,
				Title: name + " (" + label + ")", Channel: a.cfg.FeedChannel,
			}); err != nil {
				return workflow.Message{}, fmt.Errorf("report: upload %s: %w", name, err)
			}
		}
		return info("Posted to the business-team channel", "The report for "+label+" is in the business team's channel, with its charts and the cases as CSV."), nil
	}
}

// reportPeriod reads `[FROM TO]`; problem is what to tell the person when
// it cannot. A period is cut at now: what has not happened is not counted.
func reportPeriod(args string, now time.Time, loc *time.Location) (from, to time.Time, problem string) {
	words := strings.Fields(args)
	switch len(words) {
	case 0:
		from, to = report.DefaultPeriod(now, loc)
	case 2:
		var err error
		if from, to, err = report.ParsePeriod(words[0], words[1], loc); err != nil {
			return from, to, err.Error()
		}
	default:
		return from, to, "Give both a start and an end date, or neither."
	}
	if !from.Before(now) {
		return from, to, "That period has not started yet."
	}
	if to.After(now) {
		to = now
	}
	return from, to, ""
}

func reportLocation(env workflow.Env) *time.Location {
	if env.Calendar != nil && env.Calendar.Location() != nil {
		return env.Calendar.Location()
	}
	return time.UTC
}

// reportBlocks turns the report's Markdown summary into mrkdwn sections:
// headings in bold, list items as bullets, everything escaped.
func reportBlocks(md string) []slack.Block {
	var blocks []slack.Block
	var cur []string
	size := 0
	flush := func() {
		if text := strings.TrimSpace(strings.Join(cur, "\n")); text != "" && len(blocks) < maxMessageBlocks-1 {
			blocks = append(blocks, section(text))
		}
		cur, size = nil, 0
	}
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		line := escape(sc.Text())
		switch {
		case strings.HasPrefix(line, "# "), strings.HasPrefix(line, "## "):
			flush()
			line = "*" + strings.TrimSpace(strings.TrimLeft(line, "#")) + "*"
		case strings.HasPrefix(line, "- "):
			line = "• " + line[2:]
		}
		line = truncateEscaped(line, maxSectionText)
		if size+len(line)+1 > maxSectionText {
			flush()
		}
		cur = append(cur, line)
		size += len(line) + 1
	}
	flush()
	return blocks
}
