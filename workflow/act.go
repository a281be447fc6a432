package workflow

// CheckAction says whether person u may press button k, drawn when the case
// was at stage, on case d now.
//
// Deprecated: use CheckTarget, which also checks the version the button
// was drawn for; CheckAction lets a button drawn before a material change
// within the stage through.
func CheckAction(env Env, d *Dispute, history []Event, u UserID, k ActionKind, stage int) error {
	return CheckTarget(env, d, history, u, k, ActionTarget{Ref: d.Ref, Stage: stage})
}

// CheckTarget says whether person u may press button k, drawn for t, on
// case d now. Adapters call it before opening a follow-up form, so nobody
// fills in a form for a case that has moved on or that they do not hold;
// the command itself is checked again when it is submitted. Permission
// comes first: someone who may not see the case gets UnknownCase and
// nothing else, whatever the case's state.
func CheckTarget(env Env, d *Dispute, history []Event, u UserID, k ActionKind, t ActionTarget) error {
	env = env.forCase(d)
	if u == "" || u == SystemActor || !CanView(d, env.Directory, u) {
		return UnknownCase(d.Ref)
	}
	if k == ActShow {
		return nil
	}
	a := &applier{env: env, old: d, d: d, history: history, cmd: Command{Actor: u}}
	if d.State.Closed() && k != ActDebrief && k != ActLearning && !(k == ActRespond && afterAwaited(d)) {
		return closedRefusal(d, a.when(d.ClosedAt))
	}
	kind := CmdComment
	if k != ActNote {
		kind = CmdEscalate // any material command: only a note ignores a change within the stage
	}
	if err := checkDrawn(env, d, history, kind, t.Stage, t.Version); err != nil {
		return err
	}
	for _, act := range ActionsFor(env, d, u) {
		if act.Kind == k {
			return nil
		}
	}
	// Withdraw is not among ActionsFor's buttons, but the raiser gets one
	// with the acknowledgement of the raise, and it must open its form.
	if k == ActWithdraw && u == d.Raiser.Person {
		return nil
	}
	// While a resolution waits ActionsFor leaves Escalate out, but a lapsed
	// window offers it to the raiser's side and the workflow accepts it.
	if side, held := d.SideOf(u); k == ActEscalate && d.Stage < env.Policy.Last() && side != SideChair && (held || u == d.Raiser.Person) {
		return nil
	}
	switch {
	case d.State == StateProposed && (k == ActConfirm || k == ActReject):
		return refuse(RefuseNotAllowed, "the other side answers the proposed resolution of %s", d.Ref)
	case d.State == StateProposed:
		return refuse(RefuseState, "a resolution of %s is waiting for the other side's answer", d.Ref)
	case !d.Holds(u):
		return refuse(RefuseNotHolder, "you don't hold %s at %s; the people holding it are %s", d.Ref, env.Policy.StageName(d.Stage), a.names(d.Current().All()))
	}
	return refuse(RefuseState, "that is not possible on %s now", d.Ref)
}
