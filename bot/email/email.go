package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/escalate-app/escalate/bot/outbox"
	"github.com/escalate-app/escalate/config"
	"github.com/escalate-app/escalate/store"
	"github.com/escalate-app/escalate/workflow"
)

// Linker makes the link an email carries: ESCALATE_PUBLIC_URL/link/{token}
// for one person.
type Linker interface {
	Link(ctx context.Context, user workflow.UserID) (string, error)
}

// Sent remembers which outbox items the SMTP server accepted
// (store.Store implements it).
type Sent interface {
	EmailSent(ctx context.Context, itemID string) (bool, error)
	MarkEmailSent(ctx context.Context, itemID string) error
}

// Options configure the transport.
type Options struct {
	Server config.SMTP
	From   string
	Links  Linker
	Sent   Sent
	Now    func() time.Time
	Log    *slog.Logger
	// TLS, when set, replaces the default TLS settings (tests trust their
	// own certificate with it). STARTTLS is always required on smtp://.
	TLS *tls.Config
	// Timeout bounds one SMTP conversation (default 30s).
	Timeout time.Duration
}

// Transport delivers outbox items as emails.
type Transport struct{ o Options }

// New checks the options and builds the transport.
func New(o Options) (*Transport, error) {
	if o.Server.Host == "" {
		return nil, errors.New("email: SMTP_URL names no host")
	}
	if _, ok := workflow.NormalEmail(o.From); !ok {
		return nil, errors.New("email: ESCALATE_MAIL_FROM is not one email address")
	}
	if o.Links == nil || o.Sent == nil || o.Now == nil {
		return nil, errors.New("email: links, sent and clock are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &Transport{o: o}, nil
}

// Platform implements outbox.Transport.
func (t *Transport) Platform() string { return "email" }

// Send implements outbox.Transport.
func (t *Transport) Send(ctx context.Context, it store.OutboxItem) error {
	m := it.Message
	addr, ok := strings.CutPrefix(string(m.To), "email:")
	if !ok || m.Feed {
		return outbox.Permanent(fmt.Errorf("email: item %s is not for a person on email", it.ID))
	}
	if _, ok := workflow.NormalEmail(addr); !ok {
		return outbox.Permanent(fmt.Errorf("email: item %s is for an address that is not one email address", it.ID))
	}
	done, err := t.o.Sent.EmailSent(ctx, it.ID)
	if err != nil {
		return fmt.Errorf("email: was %s sent: %w", it.ID, err)
	}
	if done {
		return nil
	}
	link, err := t.o.Links.Link(ctx, m.To)
	if err != nil {
		return fmt.Errorf("email: link for %s: %w", it.ID, err)
	}
	subject, body := Compose(m, link)
	msg := mail.NewMsg()
	if err := msg.From(t.o.From); err != nil {
		return outbox.Permanent(fmt.Errorf("email: from address: %w", err))
	}
	if err := msg.To(addr); err != nil {
		return outbox.Permanent(fmt.Errorf("email: item %s: recipient address refused: %w", it.ID, err))
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(MessageID(it.ID, t.o.From))
	msg.SetDateWithValue(t.o.Now())
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	msg.SetBodyString(mail.TypeTextPlain, body)

	opts := []mail.Option{mail.WithPort(t.o.Server.Port), mail.WithTimeout(t.o.Timeout)}
	if t.o.Server.ImplicitTLS {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if t.o.TLS != nil {
		opts = append(opts, mail.WithTLSConfig(t.o.TLS))
	}
	if t.o.Server.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(t.o.Server.Username), mail.WithPassword(t.o.Server.Password))
	}
	c, err := mail.NewClient(t.o.Server.Host, opts...)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("email: SMTP client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(it.ID, err)
	}
	if err := t.o.Sent.MarkEmailSent(ctx, it.ID); err != nil {
		// Sent all the same: the outbox acknowledges it; only a crash
		// before that acknowledgement could send it again.
		t.o.Log.WarnContext(ctx, "email: accepted but not marked sent", "id", it.ID, "err", err)
	}
	return nil
}

// classify turns an SMTP failure into the outbox's terms: a 5xx is
// permanent, anything else is retried.
func classify(id string, err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return outbox.Permanent(fmt.Errorf("email: %s refused by the SMTP server (%d): %w", id, se.ErrorCode(), err))
	}
	return fmt.Errorf("email: send %s: %w", id, err)
}

// MessageID is the stable Message-ID of an outbox item's email.
func MessageID(itemID, from string) string {
	h := sha256.Sum256([]byte(itemID))
	domain := "escalate.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = from[i+1:]
	}
	return hex.EncodeToString(h[:16]) + "@" + domain
}
