// Package smtptest is an SMTP server for tests, on 127.0.0.1:0, that
// refuses what real servers refuse: no mail before STARTTLS and PLAIN
// authentication with the right password (user "escalate", password
// "s3cret"), a recipient it was told is unknown (550), and scripted
// failures at DATA (a 421, say). It keeps every message it accepted.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is the test SMTP server.
type Server struct {
	// Addr is host:port; Certs trusts its certificate.
	Addr      string
	Certs     *x509.CertPool
	user      string
	pass      string
	mu        sync.Mutex
	mails     []Mail
	unknown   map[string]bool   // recipients answered 550
	failData  []*smtp.SMTPError // answers to the next DATA commands
	dataCalls int
}

// Mail is one accepted message.
type Mail struct {
	From string
	To   []string
	Raw  string
	Msg  *mail.Message
	Body string
}

// New starts a server that stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	f := &Server{user: "escalate", pass: "s3cret", unknown: map[string]bool{}}
	cert, pool := selfSigned(t)
	f.Certs = pool
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &fakeSession{f: f, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.Addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return f
}

// Received is every message accepted so far.
func (f *Server) Received() []Mail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Mail(nil), f.mails...)
}

// Unknown makes the server answer 550 to a recipient.
func (f *Server) Unknown(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unknown[addr] = true
}

// FailData makes the next DATA commands fail with these answers, in order.
func (f *Server) FailData(errs ...*smtp.SMTPError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failData = append(f.failData, errs...)
}

// DataCalls counts the DATA commands the server was sent.
func (f *Server) DataCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dataCalls
}

type fakeSession struct {
	f      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *fakeSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *fakeSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.f.user || pass != s.f.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *fakeSession) Mail(from string, _ *smtp.MailOptions) error {
	if _, ok := s.conn.TLSConnectionState(); !ok {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "must issue STARTTLS first"}
	}
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.unknown[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *fakeSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.dataCalls++
	if len(s.f.failData) > 0 {
		e := s.f.failData[0]
		s.f.failData = s.f.failData[1:]
		return e
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return errors.New("unreadable message")
	}
	body, _ := io.ReadAll(m.Body)
	s.f.mails = append(s.f.mails, Mail{From: s.from, To: s.to, Raw: string(raw), Msg: m, Body: string(body)})
	return nil
}

func (s *fakeSession) Reset()        { s.from, s.to = "", nil }
func (s *fakeSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
