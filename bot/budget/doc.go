// Package budget bounds the work people's requests start, so a flood of
// them costs a fixed amount of memory and time rather than growing the
// process without limit.
//
// Guarantee: at most Max pieces of work run at once, each under a context
// that is cancelled when its budget ends (Budget after it started); a
// request that finds every place taken is refused at once, and the person
// is told Escalate is busy and to try again (Busy), with nothing changed.
// A piece of work that ignores its context still holds its place until it
// returns, so the bound holds whatever the work does.
//
// Trade-off: refusing beyond the bound, rather than queueing, means a
// person may be asked to try again at a peak; a queue would answer them
// later instead, but under a sustained flood it would grow (and every
// queued request would hold its memory) until the platform gave up on
// the answer anyway. Slack waits three seconds for an answer, Teams
// fifteen: a request waiting longer is lost whatever Escalate does.
//
// Nothing is kept in Redis: the bound is per process (each replica has
// its own), and the budget is measured on the process's clock (Options
// can inject a timer for tests).
package budget
