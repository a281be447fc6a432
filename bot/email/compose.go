package email

import (
	"strings"

	"github.com/escalate-app/escalate/bot/weblink"
	"github.com/escalate-app/escalate/workflow"
)

// asked is what each kind of message asks of its reader, in fixed words.
var asked = map[workflow.MessageKind]string{
	workflow.MsgRaised:        "A professional disagreement about a case has been raised with you. Please respond before the window closes.",
	workflow.MsgRaisedAck:     "Your disagreement has been raised. Nothing more is needed from you for now.",
	workflow.MsgNote:          "A note has been added to the case. Please read it on the page.",
	workflow.MsgProposal:      "A resolution has been proposed to you. Please confirm it or say it is not agreed, before the window closes.",
	workflow.MsgProposalAck:   "Your proposed resolution has been sent. Nothing more is needed from you for now.",
	workflow.MsgRejected:      "The proposed resolution was not agreed. Please decide the next step before the window closes.",
	workflow.MsgEscalatedTo:   "The case has been escalated to you. Please act on it before the window closes.",
	workflow.MsgEscalatedFrom: "A case you held has been escalated. You can follow it on the page.",
	workflow.MsgReminder:      "The window for this stage closes soon. Please act on the case before then.",
	workflow.MsgLapsed:        "The window for this stage has closed. Please decide whether to escalate.",
	workflow.MsgAssigned:      "You have been given this case. Please act on it before the window closes.",
	workflow.MsgPanel:         "A resolution panel has been convened for this case.",
	workflow.MsgRecord:        "The case is closed. Its written record is on the page.",
	workflow.MsgWithdrawn:     "The case has been withdrawn. Nothing more is needed from you.",
	workflow.MsgDeadline:      "The deadline for this stage has been brought forward. Please act before the new deadline.",
	workflow.MsgConsulted:     "You are told of this case at this stage. You can read it and add notes on the page.",
	workflow.MsgMeeting:       "A meeting has been convened for this case, or its outcome recorded. Please read it on the page.",
	workflow.MsgResponse:      "A written response is asked for, or was given, on this case. Please read it on the page.",
	weblink.MsgNewLink:        "Here is the new link to your cases on Escalate that you asked for.",
}

// actionWords name what a person can do on the page, in fixed words.
var actionWords = map[workflow.ActionKind]string{
	workflow.ActResolved: "propose a resolution",
	workflow.ActEscalate: "escalate",
	workflow.ActNote:     "add a note",
	workflow.ActConfirm:  "confirm the resolution",
	workflow.ActReject:   "say it is not agreed",
	workflow.ActResolve:  "resolve the case",
	workflow.ActPanel:    "convene a panel",
	workflow.ActWithdraw: "withdraw",
	workflow.ActDebrief:  "record a debrief",
	workflow.ActLearning: "tag learning themes",
	workflow.ActShow:     "read the case history",
	workflow.ActDeadline: "set the deadline",
	workflow.ActMeeting:  "convene the meeting",
	// The meeting's outcome and a written response are recorded on the page.
	workflow.ActMeetingOutcome: "record the meeting's outcome",
	workflow.ActRespond:        "give the written response",
}

// Compose is the subject and plain-text body of m's email. It reads only
// m.Kind, m.Ref, the "Stage" and "Window closes" facts and the kinds of
// m.Actions; everything else a message carries may be free text and is
// left for the web page behind link.
func Compose(m workflow.Message, link string) (subject, body string) {
	ask, ok := asked[m.Kind]
	if !ok {
		ask = "There is news for you on Escalate. Please read it on the page."
	}
	ref, ok := workflow.ParseRef(m.Ref)
	if !ok {
		ref = ""
	}
	if ref != "" {
		subject = "Escalate: case " + ref + " — " + firstClause(ask)
	} else {
		subject = "Escalate: " + firstClause(ask)
	}
	var b strings.Builder
	b.WriteString("This is a notice from Escalate, the partnership's escalation service.\n\n")
	if ref != "" {
		b.WriteString("Case: " + ref + "\n")
	}
	for _, f := range m.Facts {
		switch f.Label {
		case "Stage":
			b.WriteString("Stage: " + oneLine(f.Value) + "\n")
		case "Window closes":
			b.WriteString("By: " + oneLine(f.Value) + "\n")
		}
	}
	b.WriteString("\n" + ask + "\n")
	var can []string
	seen := map[workflow.ActionKind]bool{}
	for _, a := range m.Actions {
		if w, ok := actionWords[a.Kind]; ok && !seen[a.Kind] {
			seen[a.Kind] = true
			can = append(can, w)
		}
	}
	if len(can) > 0 {
		b.WriteString("On the page you can: " + strings.Join(can, ", ") + ".\n")
	}
	b.WriteString("\nOpen the case on Escalate's secure page (this link is for you alone; do not forward it):\n")
	b.WriteString(link + "\n\n")
	b.WriteString("For safety this email holds no details of the case or the person it is about.\n")
	return subject, b.String()
}

// firstClause is the first sentence of s without its full stop.
func firstClause(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
