package workflow

import (
	"testing"
	"time"
)

// benchCase is a case at stage 2 with some history, as most escalations and
// notes find it.
func benchCase(b *testing.B) *tcase {
	b.Helper()
	c := raised(b)
	c.do(Command{Kind: CmdComment, Actor: hv, At: t0.Add(10 * time.Minute), Text: secretNote})
	c.do(Command{Kind: CmdPropose, Actor: hv, At: t0.Add(20 * time.Minute), Proposal: proposal()})
	c.do(Command{Kind: CmdReject, Actor: sw, At: t0.Add(30 * time.Minute), Text: secretReject})
	c.do(Command{Kind: CmdEscalate, Actor: sw, At: t0.Add(time.Hour), Text: secretReason})
	c.do(Command{Kind: CmdComment, Actor: lmB, At: t0.Add(90 * time.Minute), Text: secretNote})
	return c
}

func BenchmarkApplyEscalate(b *testing.B) {
	c := benchCase(b)
	cmd := Command{Kind: CmdEscalate, Actor: lmA, At: t0.Add(2 * time.Hour), Text: secretReason, ExpectStage: 2}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Apply(c.env, c.d, c.hist, cmd)
		if err != nil || res.Dispute.Stage != 3 {
			b.Fatalf("escalate: %v", err)
		}
	}
}

func BenchmarkApplyComment(b *testing.B) {
	c := benchCase(b)
	cmd := Command{Kind: CmdComment, Actor: lmA, At: t0.Add(2 * time.Hour), Text: secretNote, ExpectStage: 2}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Apply(c.env, c.d, c.hist, cmd)
		if err != nil || len(res.Messages) != 3 {
			b.Fatalf("comment: %v", err)
		}
	}
}
