// Package graph calls Microsoft Graph over its REST API for what Escalate
// needs of Microsoft Entra ID: a person by their work address
// (GET /users/{mail}) or object id (GET /users/{id}), the members of a
// group through nested groups (GET /groups/{id}/transitiveMembers, every
// page), and a person's manager (GET /users/{id}/manager).
//
// Guarantee: every call carries the app registration's client-credentials
// token, fetched once and reused until shortly before it expires (a
// refused token is dropped and fetched again on the next call); Graph's
// answers are mapped to bot/directory's: a 404 is directory.ErrNotFound,
// a 429 is *directory.RateLimited with Graph's Retry-After, anything else
// an error that says the platform could not answer. Only the fields
// Escalate shows are asked for ($select): name, job title, work address.
//
// Trade-off: four endpoints do not justify the generated Graph SDK and its
// very large build; the price is that this package knows Graph's paging
// (@odata.nextLink) and error shapes itself. One client speaks for one
// tenant: a partnership whose agencies are on several tenants points Graph
// at the tenant whose groups and managers it uses.
//
// Storage: none (what Graph says is kept by bot/directory).
package graph
