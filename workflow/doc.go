// Package workflow is the heart of Escalate: the professional-disagreement
// state machine, the policy model, roles and permissions, and the
// platform-neutral messages and forms the adapters render.
//
// It does no I/O. Apply takes a dispute, a command (actor, input, time) and
// the environment (policy, directory, calendar) and returns the new dispute,
// the events to record, the timers to set and the messages to send — or a
// *Refusal the adapters show to the person as it is. Everything else in
// Escalate (store, Slack, Teams, the console, the scheduler) drives this.
package workflow
