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
// the item.
//
// Exactly once, as far as SMTP allows: SMTP gives a client no way to ask
// afterwards whether a server took a message (RFC 1047), so the one
// moment that cannot be settled is between the end of a message's DATA
// and the server's answer to it. Escalate narrows what is unknown to that
// moment. It sends MAIL, RCPT and the whole message, then marks the item
// committing in the store (key once:email:<id> = "committing"), then sends
// the end of DATA. A process or a store that fails before the mark leaves
// an unterminated transaction, which the server discards: the email is
// sent again, once. The server's 250 is kept in memory until the store
// records it (once:email:<id> = "1"), so a store failure there sends
// nothing twice. A refusal after the end of DATA (451, 554) clears the
// mark. An item found committing with no answer recorded (the process
// died, or the answer was lost) is taken as sent and not sent again, with
// a warning naming its Message-ID: at most once in that instant, because
// the server had the whole message and almost always takes it, while the
// alternative would email the person twice. Each item has one stable
// Message-ID, which a receiving mailbox may use to drop a duplicate;
// relays do not.
//
// Trade-off: one SMTP connection per email (no pooling): email is for the
// few people outside chat, and a fresh connection never holds state from a
// failed one. An email whose server dies between taking its last line and
// answering, in the instant this process dies too, is not sent again:
// the person still finds the case on the web page and gets its reminders.
package email
