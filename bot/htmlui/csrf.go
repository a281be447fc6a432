package htmlui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
)

// FormField is the name of the CSRF token in every form.
const FormField = "csrf"

// csrfCookie holds this browser's random secret; the token in forms is an
// HMAC of it, so a page on another site can neither read nor make one.
const csrfCookie = "escalate_csrf"

type tokenKey struct{}

// CSRF protects a surface's routes. Every request gets the browser's token
// (set in a cookie on its first visit); every POST must carry it and must
// not come from another origin (Sec-Fetch-Site / Origin, checked by
// net/http's CrossOriginProtection).
type CSRF struct {
	home   string
	key    []byte
	secure bool
	cop    *http.CrossOriginProtection
}

// NewCSRF makes the protection. home is the surface's first page (the
// refusal links back to it); key signs tokens (every replica of one
// deployment needs the same key); secure marks the cookie Secure (the web
// page, served over HTTPS). trusted are origins allowed to POST besides
// the request's own host (ESCALATE_PUBLIC_URL behind a proxy).
func NewCSRF(home string, key []byte, secure bool, trusted ...string) (*CSRF, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("csrf: the key must be at least 16 bytes")
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("csrf: trusted origin %q: %w", o, err)
		}
	}
	c := &CSRF{home: home, key: key, secure: secure, cop: cop}
	cop.SetDenyHandler(http.HandlerFunc(c.refuse))
	return c, nil
}

// RandomKey is a key for a single process (the practice console).
func RandomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

func (c *CSRF) token(secret string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("escalate csrf|" + secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Protect wraps h.
func (c *CSRF) Protect(h http.Handler) http.Handler {
	checked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := ""
		if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) == 32 {
			secret = ck.Value
		}
		unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
		if unsafe {
			got := r.PostFormValue(FormField)
			if secret == "" || got == "" || !hmac.Equal([]byte(got), []byte(c.token(secret))) {
				c.refuse(w, r)
				return
			}
		}
		if secret == "" {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			secret = hex.EncodeToString(b)
			http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: secret, Path: "/", HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, c.token(secret))))
	})
	return c.cop.Handler(checked)
}

// TokenFrom is the request's CSRF token ("" outside Protect).
func TokenFrom(r *http.Request) string {
	t, _ := r.Context().Value(tokenKey{}).(string)
	return t
}

// refuse answers a POST without this browser's token, or from another
// site. Nothing was done.
func (c *CSRF) refuse(w http.ResponseWriter, r *http.Request) {
	SecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_ = refusedPage.Execute(w, c.home)
}

var refusedPage = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not sent · Escalate</title></head>
<body><main><h1>That form was not sent</h1>
<p>Nothing was changed. The form came from another site, or from a page that is too old.</p>
<p><a href="{{.}}">Go back, reload the page and try again.</a></p></main></body></html>
`))

// Nonce makes each rendered raise form unique, so submitting the same
// form twice raises one case.
func Nonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
