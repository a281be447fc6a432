package config

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/escalate-app/escalate/workflow"
)

// The environment variables of email notices and the web page.
const (
	envSMTPURL   = "SMTP_URL"
	envMailFrom  = "ESCALATE_MAIL_FROM"
	envPublicURL = "ESCALATE_PUBLIC_URL"
)

// DefaultLinkDays is how long a link in an email opens the web page.
const DefaultLinkDays = 7

// Email is how Escalate reaches people on neither Slack nor Teams: notices
// over SMTP, each with a link to the web page.
type Email struct {
	// SMTPURL is SMTP_URL: smtp://user:pass@host:587 (STARTTLS, always
	// required) or smtps://user:pass@host:465 (TLS from the start).
	SMTPURL string
	// From is ESCALATE_MAIL_FROM, the sender's address.
	From string
	// PublicURL is ESCALATE_PUBLIC_URL, the base of links in emails
	// (https://escalate.partnership.example).
	PublicURL string
	// LinkTTL is how long a link opens the page (email.link_days, default 7).
	LinkTTL time.Duration
}

type emailFile struct {
	LinkDays int `yaml:"link_days"`
}

// EmailEnabled reports whether email notices are configured.
func (c *Config) EmailEnabled() bool { return c.Email.SMTPURL != "" }

// resolveEmail reads the email settings and checks them. The URL may carry
// a password: a problem with it never echoes the value.
func resolveEmail(fc *fileConfig, getenv func(string) string, c *Config, probs *problems) {
	e := Email{
		SMTPURL:   strings.TrimSpace(getenv(envSMTPURL)),
		From:      strings.TrimSpace(getenv(envMailFrom)),
		PublicURL: strings.TrimRight(strings.TrimSpace(getenv(envPublicURL)), "/"),
		LinkTTL:   DefaultLinkDays * 24 * time.Hour,
	}
	switch d := fc.Email.LinkDays; {
	case d < 0 || d > 31:
		probs.add("email.link_days", "must be between 1 and 31 days, not %d", d)
	case d > 0:
		e.LinkTTL = time.Duration(d) * 24 * time.Hour
	}
	c.Email = e
	if e.SMTPURL == "" {
		if e.From != "" || e.PublicURL != "" {
			probs.add(envSMTPURL, "is required when %s or %s is set", envMailFrom, envPublicURL)
		}
		if !c.Practice() {
			for _, p := range c.Directory.People {
				if p.ID.Platform() == platformEmail {
					probs.add(envSMTPURL, "is required: the directory lists %s with only an email address", p.Name)
					break
				}
			}
		}
		return
	}
	if _, err := SMTPServer(e.SMTPURL); err != nil {
		probs.add(envSMTPURL, "%v", err)
	}
	if e.From == "" {
		probs.add(envMailFrom, "is required when %s is set: the address emails come from", envSMTPURL)
	} else if _, ok := workflow.NormalEmail(e.From); !ok {
		probs.add(envMailFrom, "must be one email address (escalate@partnership.example), not %q", e.From)
	}
	if e.PublicURL == "" {
		probs.add(envPublicURL, "is required when %s is set: the links in emails open the web page there", envSMTPURL)
	} else if u, err := url.Parse(e.PublicURL); err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
		probs.add(envPublicURL, "must be an https:// address (http:// only on this machine), not %q", e.PublicURL)
	}
}

// SMTP is a parsed SMTP_URL.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is smtps:// (TLS from the first byte); otherwise STARTTLS
	// is required before anything is sent.
	ImplicitTLS bool
}

// SMTPServer parses SMTP_URL. Its errors never include the URL (it may
// carry a password).
func SMTPServer(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, problemf("is not a URL; use smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	var s SMTP
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return SMTP{}, problemf("must start smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return SMTP{}, problemf("names no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, problemf("has a bad port")
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

func loopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

type problemError string

func (p problemError) Error() string { return string(p) }

func problemf(s string) error { return problemError(s) }
