package workflow

import "fmt"

// What a case's log says once retention has purged it. The log's
// summaries name the people who acted ("Raised by Sam Patel (Children's
// Social Care) with …"); past retention the case is counts and dates, so
// each step keeps what it was, when, at which stage and by which
// platform account (the reports count those), and loses the names.

// purgedSteps says what each kind of step was, without anyone's name.
var purgedSteps = map[CommandKind]string{
	CmdRaise: "Raised", CmdComment: "Note added", CmdPropose: "Resolution proposed",
	CmdConfirm: "Resolution confirmed", CmdReject: "Resolution not agreed", CmdEscalate: "Escalated",
	CmdWithdraw: "Withdrawn", CmdNudge: "Reminder sent", CmdLapse: "Window lapsed",
	CmdPrompt: "Prompt to escalate sent", CmdAssignHolder: "Holder named", CmdConvenePanel: "Resolution panel convened",
	CmdResolve: "Resolved by the final decision", CmdDebrief: "Debrief added", CmdLearning: "Learning themes tagged",
	CmdPurge: "Free text removed after the retention period", CmdSetDeadline: "Deadline set",
	CmdRespond: "Written response given", CmdResponseNudge: "Written response reminder sent",
	CmdResponseLapse: "Written response overdue", CmdConveneMeeting: "Meeting convened",
	CmdMeetingOutcome: "Meeting outcome recorded", CmdAfterNudge: "Written response after resolution reminder sent",
	CmdAfterLapse: "Written response after resolution overdue",
}

// Purged is the event as a purged case's log keeps it: its kind, time,
// stage and actor's account, a summary that names nobody, and no words.
func (e Event) Purged() Event {
	step, ok := purgedSteps[e.Kind]
	if !ok {
		step = "Step recorded"
	}
	e.Summary = fmt.Sprintf("%s at stage %d", step, e.Stage)
	e.ActorName = ""
	e.Text = ""
	if e.Proposal != nil {
		p := *e.Proposal
		p.Outcome, p.Outstanding, p.HowPursued = "", "", ""
		e.Proposal = &p
	}
	return e
}
