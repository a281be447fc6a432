// Package entra gets Escalate's tokens from the Microsoft identity
// platform (Entra ID) for the two APIs that take them: the Bot Framework
// connector and Microsoft Graph. Both use an app registration's
// client-credentials grant, so both come here rather than each asking for
// tokens its own way.
//
// Guarantee: a Token is fetched once and reused until shortly before it
// expires (five minutes, or half its life when it is shorter); the lock is
// held across the fetch, so concurrent callers wait for one token instead
// of each fetching. A token the API refused is dropped with Forget and the
// next Get fetches a new one. A throttled fetch is *Throttled with the
// identity platform's Retry-After, which each caller turns into its own
// contract (the outbox's RetryAfter, the directory's RateLimited).
//
// Trade-off: one token per Token value, renewed on demand, not in the
// background: the first call after a token expires waits for the fetch.
//
// Storage: none; tokens live in memory only and never in logs.
package entra
