package record

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// JSON writes the record as indented JSON.
func JSON(w io.Writer, rec Record) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return fmt.Errorf("write the record of %s as JSON: %w", rec.Ref, err)
	}
	return nil
}

// Markdown writes the record as a Markdown document.
func Markdown(w io.Writer, rec Record) error {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	field := func(label, value string) {
		if value != "" {
			line("- **%s:** %s", label, mdText(value, "  "))
		}
	}

	if rec.Practice {
		line("**%s.** Made in Escalate's practice console: no real child or adult, nothing for a file.", PracticeMark)
		line("")
	}
	line("# Written record of %s", rec.Ref)
	line("")
	line("%s. Times are %s time.", rec.Partnership, rec.TimeZone)
	if rec.Purged {
		line("")
		line("_The free text of this case and its subject reference were removed after the retention period. The steps, people and dates remain._")
	}

	line("")
	line("## The case")
	line("")
	for _, f := range rec.CaseFields() {
		field(f.Label, f.Value)
	}

	line("")
	line("## The disagreement")
	line("")
	for _, f := range rec.DisagreementFields() {
		field(f.Label, f.Value)
	}

	line("")
	line("## Who held the case")
	for _, s := range rec.Stages {
		line("")
		line("### %s", s.Name)
		line("")
		field("Held by", s.Role)
		field("From", FormatTime(s.Since))
		field("Window", s.Window)
		if len(s.Raiser) > 0 {
			field("Raiser's side ("+s.RaiserAgency+")", strings.Join(s.Raiser, ", "))
		}
		if len(s.Responder) > 0 {
			field("Responder's side ("+s.ResponderAgency+")", strings.Join(s.Responder, ", "))
		}
		if len(s.Chair) > 0 {
			field("Chair", strings.Join(s.Chair, ", "))
		}
	}

	line("")
	line("## What happened")
	line("")
	for i, e := range rec.Events {
		num := fmt.Sprintf("%d. ", i+1)
		// What belongs to a step is indented to its text (wider from 10. on).
		in := strings.Repeat(" ", len(num))
		line("%s**%s** · %s · %s: %s", num, FormatTime(e.At), e.Stage, e.Actor, mdText(e.Summary, in))
		if e.Words != "" {
			line("%s- %s: %s", in, e.WordsLabel, mdText(e.Words, in+"  "))
		}
		if e.Proposal != nil {
			outcomeLines(line, *e.Proposal, in)
		}
	}
	if len(rec.Events) == 0 {
		line("Nothing is recorded.")
	}

	line("")
	line("## Outcome")
	line("")
	switch {
	case rec.Outcome != nil:
		o := rec.Outcome
		if o.ResolvedByChair {
			line("Resolved by the chair, %s, on %s.", o.ConfirmedBy, FormatTime(o.ConfirmedAt))
		} else {
			line("Proposed by %s on %s; confirmed by %s on %s.", o.ProposedBy, FormatTime(o.ProposedAt), o.ConfirmedBy, FormatTime(o.ConfirmedAt))
		}
		line("")
		outcomeLines(line, *o, "")
		if len(rec.Panel) > 0 {
			field("Resolution panel", strings.Join(rec.Panel, ", "))
		}
		if a := rec.AfterResolution; a != nil {
			field(a.What, a.Status)
		}
	case rec.State == StateLabel(workflow.StateWithdrawn):
		line("Withdrawn by %s on %s.", rec.Raiser.Person, FormatTime(rec.Closed))
		if rec.WithdrawReason != "" {
			line("")
			field("Reason for withdrawing", rec.WithdrawReason)
		}
	default:
		line("The case is %s at %s.", rec.State, rec.StageReached)
		if len(rec.Panel) > 0 {
			line("")
			field("Resolution panel", strings.Join(rec.Panel, ", "))
		}
	}

	if len(rec.Debriefs) > 0 {
		line("")
		line("## Debriefs")
		line("")
		for _, d := range rec.Debriefs {
			text := d.Text
			if text == "" {
				text = removed
			}
			line("- **%s, %s:** %s", d.By, FormatTime(d.At), mdText(text, "  "))
		}
	}
	if len(rec.Themes) > 0 {
		line("")
		line("## Learning themes")
		line("")
		for _, t := range rec.Themes {
			line("- %s", mdText(t, "  "))
		}
	}

	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write the record of %s as Markdown: %w", rec.Ref, err)
	}
	return nil
}

func outcomeLines(line func(string, ...any), o Outcome, indent string) {
	if o.Agreed == "" {
		// Only retention leaves an outcome without words.
		line("%s- **Agreed outcome:** %s", indent, removed)
		line("%s- **Recorded on the file:** %s", indent, yesNotYet(o.RecordedOnFile))
		return
	}
	line("%s- **Agreed outcome:** %s", indent, mdText(o.Agreed, indent+"  "))
	if o.Outstanding != "" {
		line("%s- **Outstanding issues:** %s", indent, mdText(o.Outstanding, indent+"  "))
		line("%s- **How they will be pursued:** %s", indent, mdText(o.HowPursued, indent+"  "))
	} else {
		line("%s- **Outstanding issues:** none", indent)
	}
	line("%s- **Recorded on the file:** %s", indent, yesNotYet(o.RecordedOnFile))
}

// removed stands for words retention removed.
const removed = "(removed after the retention period)"

func yesNotYet(b bool) string {
	if b {
		return "yes"
	}
	return "not yet"
}

// mdText keeps a person's words inside the list item they belong to: each
// further line is indented, with a hard line break before it.
func mdText(s, indent string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "  \n"+indent)
}
