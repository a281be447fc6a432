package workflow

import "time"

// UnknownCase is the one answer for a case the person may not see, and for
// a case that does not exist. It names only the reference the person gave,
// so whether a case exists, who holds it, its stage, dates and outcome are
// never told to someone outside it (by any button, form or command on any
// platform).
func UnknownCase(ref string) *Refusal {
	return refuse(RefuseUnknownCase, "there is no case %s that you can see", ref)
}

// Change is the latest material change of a case: what a button or form
// drawn before it can no longer act on. Summary carries no free text.
type Change struct {
	Seq       int         `json:"seq"` // the dispute's version after the change
	Kind      CommandKind `json:"kind"`
	Actor     UserID      `json:"actor"`
	ActorName string      `json:"actor_name"`
	At        time.Time   `json:"at"`
	Stage     int         `json:"stage"`
	Summary   string      `json:"summary"`
}

// Material reports whether a command changes what the people holding a
// case would decide: it was escalated, a resolution was proposed,
// confirmed or not agreed, the holders changed, a panel was convened, it
// was resolved or withdrawn. Notes, reminders, lapses, debriefs and
// learning themes are not.
func Material(k CommandKind) bool {
	switch k {
	case CmdRaise, CmdEscalate, CmdPropose, CmdConfirm, CmdReject, CmdAssignHolder, CmdConvenePanel, CmdResolve, CmdWithdraw, CmdConveneMeeting, CmdMeetingOutcome:
		return true
	}
	return false
}

func changeOf(e Event) *Change {
	return &Change{Seq: e.Seq, Kind: e.Kind, Actor: e.Actor, ActorName: e.ActorName, At: e.At, Stage: e.Stage, Summary: e.Summary}
}

// LastChange is the case's latest material change: the one the dispute
// records, or for a case written before disputes recorded it, the latest
// material event of its log.
func LastChange(d *Dispute, history []Event) *Change {
	if d.Changed != nil {
		return d.Changed
	}
	for i := len(history) - 1; i >= 0; i-- {
		if Material(history[i].Kind) {
			return changeOf(history[i])
		}
	}
	return nil
}
