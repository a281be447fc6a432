package store

import (
	"encoding/json"
	"fmt"

	"github.com/escalate-app/escalate/workflow"
)

// encodeDispute is the dispute's JSON with every free-text field encrypted.
func (s *Store) encodeDispute(d *workflow.Dispute) (string, error) {
	c := d.Clone()
	for _, f := range c.FreeText() {
		v, err := s.opts.Cipher.seal(*f)
		if err != nil {
			return "", fmt.Errorf("encrypt %s: %w", d.Ref, err)
		}
		*f = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", d.Ref, err)
	}
	return string(b), nil
}

func (s *Store) decodeDispute(raw string) (*workflow.Dispute, error) {
	var d workflow.Dispute
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("decode dispute: %w", err)
	}
	for _, f := range d.FreeText() {
		v, err := s.opts.Cipher.Decrypt(*f)
		if err != nil {
			return nil, fmt.Errorf("decrypt %s: %w", d.Ref, err)
		}
		*f = v
	}
	return &d, nil
}

// eventText is the free text of one event, kept apart from the event so
// that retention can remove it (one DEL) and the global stream, which
// cannot be edited, never holds it.
type eventText struct {
	Text        string `json:"text,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	Outstanding string `json:"outstanding,omitempty"`
	HowPursued  string `json:"how_pursued,omitempty"`
}

func (t eventText) empty() bool { return t == eventText{} }

// encodeEvent splits an event into its JSON without free text and its free
// text (encrypted; "" when it has none).
func (s *Store) encodeEvent(e workflow.Event) (public, text string, err error) {
	var t eventText
	t.Text, e.Text = e.Text, ""
	if e.Proposal != nil {
		p := *e.Proposal
		t.Outcome, t.Outstanding, t.HowPursued = p.Outcome, p.Outstanding, p.HowPursued
		p.Outcome, p.Outstanding, p.HowPursued = "", "", ""
		e.Proposal = &p
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", "", fmt.Errorf("encode event %s/%d: %w", e.Ref, e.Seq, err)
	}
	if t.empty() {
		return string(b), "", nil
	}
	tb, err := json.Marshal(t)
	if err != nil {
		return "", "", fmt.Errorf("encode event text %s/%d: %w", e.Ref, e.Seq, err)
	}
	sealed, err := s.opts.Cipher.seal(string(tb))
	if err != nil {
		return "", "", fmt.Errorf("encrypt event %s/%d: %w", e.Ref, e.Seq, err)
	}
	return string(b), sealed, nil
}

// decodeEvent joins an event with its free text ("" when it has none or
// the text was purged).
func (s *Store) decodeEvent(public, text string) (workflow.Event, error) {
	var e workflow.Event
	if err := json.Unmarshal([]byte(public), &e); err != nil {
		return e, fmt.Errorf("decode event: %w", err)
	}
	if text == "" {
		return e, nil
	}
	plain, err := s.opts.Cipher.Decrypt(text)
	if err != nil {
		return e, fmt.Errorf("decrypt event %s/%d: %w", e.Ref, e.Seq, err)
	}
	var t eventText
	if err := json.Unmarshal([]byte(plain), &t); err != nil {
		return e, fmt.Errorf("decode event text %s/%d: %w", e.Ref, e.Seq, err)
	}
	e.Text = t.Text
	if e.Proposal != nil {
		p := *e.Proposal
		p.Outcome, p.Outstanding, p.HowPursued = t.Outcome, t.Outstanding, t.HowPursued
		e.Proposal = &p
	}
	return e, nil
}

// encodeMessage is a message's JSON, encrypted whole: DMs carry the case's
// free text in Lines, Facts and History. Feed posts carry none, but
// encrypting them too keeps the rule simple: no message body is in clear.
func (s *Store) encodeMessage(m workflow.Message) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	v, err := s.opts.Cipher.seal(string(b))
	if err != nil {
		return "", fmt.Errorf("encrypt message %s: %w", m.ID, err)
	}
	return v, nil
}

func (s *Store) decodeMessage(raw string) (workflow.Message, error) {
	var m workflow.Message
	plain, err := s.opts.Cipher.Decrypt(raw)
	if err != nil {
		return m, fmt.Errorf("decrypt message: %w", err)
	}
	if err := json.Unmarshal([]byte(plain), &m); err != nil {
		return m, fmt.Errorf("decode message: %w", err)
	}
	return m, nil
}
