// Package directory knows the people of a partnership as they really are:
// the names of people the configured directory does not list, from their
// platform (Slack, Teams, Microsoft Graph), kept in the store.
//
// Guarantee: nobody is shown by a platform id. A person the directory does
// not list costs their platform one look-up; the name is then kept in the
// store (people:names) and on every case they join, so messages, records
// and reports never call a platform again for them. When a platform cannot
// answer, the last name kept is used (and a metric and a log line say so);
// a person never named is shown by a neutral description ("a Slack user").
//
// Trade-off: a name kept is refreshed only after MaxAge (a week): someone
// who changes their name on Slack is shown by the old one until then, and
// cases keep the name they had when the person joined them, as a written
// record should.
//
// Key layout: see store/people.go.
package directory
