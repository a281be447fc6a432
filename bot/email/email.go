package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"strings"
	"sync"
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

// Sent remembers which outbox items the SMTP server accepted, and which
// were left committing (store.Store implements it).
type Sent interface {
	// EmailSent is true once an item is marked sent or committing.
	EmailSent(ctx context.Context, itemID string) (bool, error)
	MarkEmailSent(ctx context.Context, itemID string) error
	MarkEmailCommitting(ctx context.Context, itemID string) error
	EmailCommitting(ctx context.Context, itemID string) (bool, error)
	ClearEmailCommitting(ctx context.Context, itemID string) error
}

// StepCommit is the point, in one email's delivery, just before the
// transport marks it committing and sends the end of its DATA (where
// tests inject faults; see outbox.Step).
const StepCommit outbox.Step = "email-commit"

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
type Transport struct {
	o Options
	// accepted and refused hold, per item, what the SMTP server answered
	// until the store has recorded it: a retry in this process after the
	// store failed finds it here.
	mu       sync.Mutex
	accepted map[string]bool // answered 250, not yet marked sent
	refused  map[string]bool // answered a refusal after the end of DATA, mark not yet cleared
}

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
	return &Transport{o: o, accepted: map[string]bool{}, refused: map[string]bool{}}, nil
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
	if done, err := t.done(ctx, it); err != nil || done {
		return err
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
	return t.deliver(ctx, it, addr, msg)
}

// done settles an item an earlier attempt may have delivered: marked sent
// (or accepted, in this process), it is done; left committing, the server
// had the whole email and this process never heard its answer (it died,
// or the answer was lost), and the email is taken as sent: at most once.
func (t *Transport) done(ctx context.Context, it store.OutboxItem) (bool, error) {
	t.mu.Lock()
	accepted, refused := t.accepted[it.ID], t.refused[it.ID]
	t.mu.Unlock()
	if accepted {
		t.record(ctx, it)
		return true, nil
	}
	if refused {
		// The server refused it after its end; the store still says
		// committing: clear it, then send again.
		if err := t.o.Sent.ClearEmailCommitting(ctx, it.ID); err != nil {
			return false, fmt.Errorf("email: clear %s: %w", it.ID, err)
		}
		t.settle(it.ID, nil)
		return false, nil
	}
	committing, err := t.o.Sent.EmailCommitting(ctx, it.ID)
	if err != nil {
		return false, fmt.Errorf("email: was %s committing: %w", it.ID, err)
	}
	if committing {
		t.o.Log.WarnContext(ctx, "email: an earlier attempt sent the whole email and never heard the server's answer; taken as sent, not sent again (check the relay's log for this Message-ID)",
			"id", it.ID, "message_id", MessageID(it.ID, t.o.From))
		if err := t.o.Sent.MarkEmailSent(ctx, it.ID); err != nil {
			return false, fmt.Errorf("email: mark %s sent: %w", it.ID, err)
		}
		return true, nil
	}
	sent, err := t.o.Sent.EmailSent(ctx, it.ID)
	if err != nil {
		return false, fmt.Errorf("email: was %s sent: %w", it.ID, err)
	}
	return sent, nil
}

// deliver runs one SMTP conversation: MAIL, RCPT and the whole message;
// then, before the end of DATA, marks the item committing (a failure of
// that mark, or of anything before it, leaves the transaction
// unterminated, which the server discards); then the end of DATA, whose
// answer decides.
func (t *Transport) deliver(ctx context.Context, it store.OutboxItem, addr string, msg *mail.Msg) error {
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
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(it.ID, err)
	}
	committed := false
	defer func() {
		if committed {
			_ = c.CloseWithSMTPClient(sc) // QUIT
		} else {
			_ = sc.Close() // no end of DATA: the server drops the message
		}
	}()
	if err := sc.UpdateDeadline(t.o.Timeout); err != nil {
		return fmt.Errorf("email: send %s: %w", it.ID, err)
	}
	if err := sc.Mail(t.o.From); err != nil {
		return classify(it.ID, err)
	}
	if err := sc.Rcpt(addr); err != nil {
		return classify(it.ID, err)
	}
	w, err := sc.Data()
	if err != nil {
		return classify(it.ID, err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return classify(it.ID, err)
	}
	// Past this point the server may take the email: the mark goes
	// first, so a retry never sends it again.
	if err := outbox.Reached(ctx, StepCommit, it); err != nil {
		return err
	}
	if err := t.o.Sent.MarkEmailCommitting(ctx, it.ID); err != nil {
		return fmt.Errorf("email: mark %s committing: %w", it.ID, err)
	}
	committed = true
	if err := w.Close(); err != nil {
		// Refused after its end (or the answer lost): a refusal the
		// server gave means it did not take it.
		var te *textproto.Error
		if !errors.As(err, &te) {
			// No answer: the server may have it. Left committing,
			// the next attempt takes it as sent.
			return fmt.Errorf("email: send %s: no answer to the end of DATA: %w", it.ID, err)
		}
		t.settle(it.ID, &t.refused)
		if cerr := t.o.Sent.ClearEmailCommitting(ctx, it.ID); cerr == nil {
			t.settle(it.ID, nil)
		}
		return classify(it.ID, err)
	}
	t.settle(it.ID, &t.accepted)
	if err := outbox.Reached(ctx, outbox.StepAnswered, it); err != nil {
		return err
	}
	t.record(ctx, it)
	return nil
}

// settle notes in memory what the server answered for an item (nil: forget
// it).
func (t *Transport) settle(id string, in *map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.accepted, id)
	delete(t.refused, id)
	if in != nil {
		(*in)[id] = true
	}
}

// record marks an accepted email sent. A store that fails leaves it
// accepted in memory: the outbox acknowledges the item, and should that
// fail too, the item's next attempt in this process records it then.
func (t *Transport) record(ctx context.Context, it store.OutboxItem) {
	if err := t.o.Sent.MarkEmailSent(ctx, it.ID); err != nil {
		t.o.Log.WarnContext(ctx, "email: accepted but not yet marked sent", "id", it.ID, "err", err)
		return
	}
	t.settle(it.ID, nil)
}

// classify turns an SMTP failure into the outbox's terms: a 5xx is
// permanent, anything else is retried.
func classify(id string, err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return outbox.Permanent(fmt.Errorf("email: %s refused by the SMTP server (%d): %w", id, se.ErrorCode(), err))
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code != 530 && te.Code != 535 {
		// 530 and 535 are the login refused: fixed by the operator.
		return outbox.Permanent(fmt.Errorf("email: %s refused by the SMTP server (%d): %w", id, te.Code, err))
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
