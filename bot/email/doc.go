// Package email is the outbox transport for people on neither Slack nor
// Teams (person id "email:<address>"): every message Escalate would send
// them in chat goes, through the same outbox, as an email over SMTP
// (SMTP_URL, from ESCALATE_MAIL_FROM).
//
// Guarantee: an email carries no free text and no subject reference. It is
// composed from the message's kind, case reference, stage and deadline
// alone, in fixed words of this package, with a link to the web page
// (ESCALATE_PUBLIC_URL/link/{token}) where the person reads the case and
// acts on it; the message's title, lines, facts other than stage and
// deadline, and history are never read. A temporary SMTP failure (4xx, a
// dropped connection) is retried by the outbox; a permanent one (5xx) parks
// the item. An accepted email is marked by its outbox id (store key
// once:email:<id>), so an item that comes back after a crash between the
// server's 250 and the outbox's acknowledgement is not sent again; each
// item has one stable Message-ID, so a receiving server can also drop a
// duplicate.
//
// Trade-off: one SMTP connection per email (no pooling): email is for the
// few people outside chat, and a fresh connection never holds state from a
// failed one. A crash in the instant between the server's 250 and the mark
// can still send one email twice (same Message-ID).
package email
