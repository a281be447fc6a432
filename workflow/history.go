package workflow

// NeedsHistory reports whether Apply needs the case's event log to decide
// cmd on d. Most commands are decided from the dispute alone; these send
// someone the case's whole history (escalating, a new holder, the written
// record on closing) or explain a stale button from the log. Reading the
// log only for them keeps a click's cost that of the case, not of
// everything ever said on it.
func NeedsHistory(d *Dispute, cmd Command) bool {
	switch cmd.Kind {
	case CmdEscalate, CmdAssignHolder, CmdConfirm, CmdResolve, CmdConveneMeeting, CmdConvenePanel, CmdMeetingOutcome:
		return true
	}
	return d != nil && cmd.ExpectStage != 0 && cmd.ExpectStage != d.Stage
}
