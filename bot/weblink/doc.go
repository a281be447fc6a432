// Package weblink makes and checks the links that emails carry to the web
// page (ESCALATE_PUBLIC_URL/link/{token}).
//
// Guarantee: a token names one person, when it was issued and when it
// expires, and a random link id, signed with HMAC-SHA256 under a key derived
// from ESCALATE_ENCRYPTION_KEY; a token altered in any byte, or signed under
// another key, is refused. Check does not decide single use or revocation:
// the web page does that against the store (store.UseLink, LinksRevokedAt),
// so this package stays pure.
//
// Trade-off: the person's id is inside the token (base64, not encrypted);
// it is an address the email was sent to anyway, and the token is never
// logged.
//
// Layout: "v1.<base64url(user)>.<issued unix>.<expires unix>.<link id>.<base64url(mac)>".
package weblink
