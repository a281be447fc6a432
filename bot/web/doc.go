// Package web is the secure web page for people on neither Slack nor
// Teams: the link in each of their emails (ESCALATE_PUBLIC_URL/link/{token})
// opens /web/, where they see the cases they hold or are involved in, with
// the same messages, buttons and forms as in chat, acting through the same
// engine (bot/htmlui renders the neutral model for this page and the
// practice console alike).
//
// Guarantee: a link is signed for one person (bot/weblink), expires (7 days
// by default), is used once and can be revoked; it is exchanged for a
// session whose cookie is Secure, HttpOnly and SameSite=Strict and whose id
// is kept in the store only as a hash. A forged, expired, revoked or reused
// link gets a page saying which, and no access; an expired or used one
// offers to email a fresh link to the person it was for (never anyone
// else). Every POST carries the browser's CSRF token and passes an Origin
// check. A person asking for a case they may not see gets the same answer
// as for a case that does not exist. Tokens and session ids are never
// logged (routes are logged and measured by pattern, not by path).
//
// Trade-off: opening a link takes one press ("Open my cases") on a page the
// GET shows, and only that POST uses the link up. Mail scanners (Safe
// Links and the like) fetch every link in an email; were the GET to use
// the link, the person would find it used before they clicked it. The
// press is also what lets the SameSite=Strict cookie be sent: a redirect
// that follows a click in a mail client is a cross-site navigation, which
// Strict cookies never ride on.
//
// Keys (store/web.go): web:link:<sha256(link id)> for a used link, until it
// would have expired; web:link:<sha256("renew:"+link id)> once a fresh link
// was sent for it; web:session:<sha256(session id)> for a session;
// web:revoked, per person, the time before which their links and sessions
// are void.
package web
