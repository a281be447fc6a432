package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/escalate-app/escalate/bot/bottest"
	"github.com/escalate-app/escalate/bot/engine"
	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/store/storetest"
	"github.com/escalate-app/escalate/workflow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (run the test with -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\n--- got ---\n%s", name, got)
	}
}

func TestRecordMarkdownGolden(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	var b bytes.Buffer
	if err := record.Markdown(&b, record.Build(env, d, events)); err != nil {
		t.Fatal(err)
	}
	golden(t, "full.md.golden", b.Bytes())

	// Whatever the golden file says, the record must carry every step's
	// words and the agreed outcome.
	for _, s := range []string{subjectRef, decision, disagreement, outcomeSought, evidence, note, proposal, rejectReason,
		escalate1, managerNote, escalate2, escalate3, panelNote, agreed, outstanding, howPursued, debrief,
		"Information sharing", "Thresholds", "Recorded on the file:** yes", "Clare Hughes", "Lena Marsh", "Laura Bell",
		"Simon Moss", "Sanjay Bhatt", "Window lapsed", "Mon 2 Mar 2026, 10:00"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("the Markdown record lacks %q", s)
		}
	}
}

func TestRecordJSONGolden(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	rec := record.Build(env, d, events)
	var b bytes.Buffer
	if err := record.JSON(&b, rec); err != nil {
		t.Fatal(err)
	}
	golden(t, "full.json.golden", b.Bytes())

	var back record.Record
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("the JSON record does not read back: %v", err)
	}
	if back.Outcome == nil || back.Outcome.Agreed != agreed || !back.Outcome.RecordedOnFile || !back.Outcome.ResolvedByChair {
		t.Errorf("outcome = %+v", back.Outcome)
	}
	if len(back.Events) != len(events) {
		t.Fatalf("%d events in the JSON record, the case has %d", len(back.Events), len(events))
	}
	for i, e := range back.Events {
		if e.Seq != events[i].Seq || !e.At.Equal(events[i].At) {
			t.Errorf("event %d out of order: %+v", i, e)
		}
		if _, off := e.At.Zone(); off != 0 && e.At.Month() == time.March && e.At.Day() < 29 {
			t.Errorf("event %d time %s is not London winter time", i, e.At)
		}
	}
	if len(back.Stages) != 4 || back.Stages[1].Raiser[0] != "Lena Marsh" || back.Stages[1].Responder[0] != "Laura Bell" || back.Stages[3].Chair[0] != "Clare Hughes" {
		t.Errorf("stages = %+v", back.Stages)
	}
	if back.LapsedWindows != 1 || back.StageReached != "Stage 4 (Partnership chair)" || back.State != "resolved" {
		t.Errorf("lapsed %d, reached %q, state %q", back.LapsedWindows, back.StageReached, back.State)
	}
	if strings.Join(back.Panel, ",") != "Children's Social Care,Sussex Community NHS Trust,West Sussex Education" {
		t.Errorf("panel = %v", back.Panel)
	}
}

func TestRecordPDF(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	rec := record.Build(env, d, events)
	var b bytes.Buffer
	if err := record.PDF(&b, rec); err != nil {
		t.Fatal(err)
	}
	text := bottest.PDFText(t, b.Bytes())
	for _, s := range []string{"ESC-2026-0001", agreed, outstanding, howPursued, managerNote, rejectReason, disagreement,
		"Recordedonthefile:yes", "Sam Walker", "Clare Hughes",
		// The core fonts have no arrow: it is written in ASCII, not lost.
		"(GP <-> school)",
		// The em dash and the curly apostrophe are in code page 1252.
		note[:strings.Index(note, "(")]} {
		if !strings.Contains(text, bottest.Squash(s)) {
			t.Errorf("the PDF's text lacks %q", s)
		}
	}
	if strings.Contains(text, "â€") {
		t.Error("the PDF has UTF-8 bytes read as code page 1252 (mojibake)")
	}

	// The same record gives the same file.
	var again bytes.Buffer
	if err := record.PDF(&again, rec); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("two PDFs of one record differ")
	}
}

func TestRecordWithdrawnAndPurged(t *testing.T) {
	env := testEnv(t)
	loc := env.Calendar.Location()
	res, err := workflow.Apply(env, nil, nil, workflow.Command{Kind: workflow.CmdRaise, Actor: sw, At: time.Date(2026, 6, 1, 10, 0, 0, 0, loc), Raise: &workflow.RaiseInput{
		Ref: "ESC-2026-0002", SubjectType: workflow.SubjectChild, SubjectRef: subjectRef, Category: workflow.CatThresholds,
		Disagreement: disagreement, OutcomeSought: outcomeSought, Evidence: evidence, ResponderAgency: "nhs", Responder: hv,
	}})
	if err != nil {
		t.Fatal(err)
	}
	events := res.Events
	res, err = workflow.Apply(env, res.Dispute, events, workflow.Command{Kind: workflow.CmdWithdraw, Actor: sw, At: time.Date(2026, 6, 1, 12, 0, 0, 0, loc), Text: withdrawn})
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, res.Events...)
	d := res.Dispute

	var b bytes.Buffer
	if err := record.Markdown(&b, record.Build(env, d, events)); err != nil {
		t.Fatal(err)
	}
	// June is British Summer Time: 10:00 London is 09:00 UTC.
	for _, s := range []string{"Withdrawn by Sam Walker on Mon 1 Jun 2026, 12:00", "Reason for withdrawing:** " + withdrawn, "Raised:** Mon 1 Jun 2026, 10:00"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("the withdrawn record lacks %q:\n%s", s, b.String())
		}
	}

	res, err = workflow.Apply(env, d, events, workflow.Command{Kind: workflow.CmdPurge, Actor: workflow.SystemActor, At: time.Date(2033, 6, 1, 12, 0, 0, 0, loc)})
	if err != nil {
		t.Fatal(err)
	}
	// The store blanks the events' text on a purge; do as it does.
	purged := append([]workflow.Event(nil), events...)
	for i := range purged {
		purged[i].Text = ""
	}
	purged = append(purged, res.Events...)
	b.Reset()
	if err := record.Markdown(&b, record.Build(env, res.Dispute, purged)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{subjectRef, disagreement, withdrawn, evidence} {
		if strings.Contains(b.String(), s) {
			t.Errorf("the purged record still has %q", s)
		}
	}
	if !strings.Contains(b.String(), "removed after the retention period") || !strings.Contains(b.String(), "Withdrawn by the raiser") {
		t.Errorf("the purged record does not say what happened:\n%s", b.String())
	}
}

// rig is a real engine over a real store, for the functions that read a case.
func rig(t *testing.T) (*engine.Engine, workflow.Env, string) {
	t.Helper()
	env := testEnv(t)
	st := storetest.New(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, env.Calendar.Location())
	eng := engine.New(st, env, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	ctx := context.Background()
	res, err := eng.Raise(ctx, sw, workflow.RaiseInput{
		SubjectType: workflow.SubjectChild, SubjectRef: subjectRef, Category: workflow.CatNeedForAction,
		Disagreement: disagreement, OutcomeSought: outcomeSought, Evidence: evidence, ResponderAgency: "nhs", Responder: hv,
	}, "raise-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Do(ctx, res.Dispute.Ref, workflow.Command{Kind: workflow.CmdComment, Actor: hv, Text: note}, ""); err != nil {
		t.Fatal(err)
	}
	return eng, env, res.Dispute.Ref
}

func TestForViewer(t *testing.T) {
	eng, _, ref := rig(t)
	ctx := context.Background()
	for _, u := range []workflow.UserID{sw, hv, bt, chair} {
		rec, err := record.ForViewer(ctx, eng, strings.ToLower(ref), u)
		if err != nil {
			t.Errorf("%s may see the record of %s: %v", u, ref, err)
			continue
		}
		if rec.Ref != ref || rec.SubjectRef != subjectRef || len(rec.Events) != 2 || rec.Events[1].Words != note {
			t.Errorf("record for %s: %+v", u, rec)
		}
	}
	// Someone with nothing to do with the case, an unknown person, and
	// Escalate's own id typed into a request are all refused.
	for _, u := range []workflow.UserID{stranger, lmA, "teams:29:nobody", workflow.SystemActor, ""} {
		rec, err := record.ForViewer(ctx, eng, ref, u)
		var r *workflow.Refusal
		if !errors.As(err, &r) || r.Code != workflow.RefuseUnknownCase {
			t.Errorf("%q asked for another person's record: err %v", u, err)
		}
		if rec.Ref != "" || rec.SubjectRef != "" || len(rec.Events) > 0 {
			t.Errorf("%q was given a record: %+v", u, rec)
		}
		if err != nil && (strings.Contains(err.Error(), subjectRef) || strings.Contains(err.Error(), disagreement)) {
			t.Errorf("the refusal gives the case away: %v", err)
		}
	}
	if _, err := record.ForViewer(ctx, eng, "ESC-2026-0999", sw); err == nil {
		t.Error("a case that does not exist has a record")
	}
	if _, err := record.ForViewer(ctx, eng, "not a ref", sw); err == nil {
		t.Error("a malformed reference has a record")
	}
}

func TestWrite(t *testing.T) {
	eng, _, ref := rig(t)
	ctx := context.Background()
	for _, format := range []string{"md", "json", "pdf"} {
		var b bytes.Buffer
		if err := record.Write(ctx, &b, eng, ref, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var text string
		switch format {
		case "pdf":
			if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
				t.Fatalf("the pdf format is not a PDF: %q", b.Bytes()[:min(20, b.Len())])
			}
			text = bottest.PDFText(t, b.Bytes())
		case "json":
			var rec record.Record
			if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
				t.Fatalf("json: %v", err)
			}
			text = rec.Ref + rec.SubjectRef + rec.Events[1].Words
		default:
			text = b.String()
		}
		if !strings.Contains(bottest.Squash(text), bottest.Squash(ref)) || !strings.Contains(bottest.Squash(text), bottest.Squash(subjectRef)) {
			t.Errorf("%s: the record lacks the reference or the subject", format)
		}
	}
	for _, c := range []struct{ ref, format string }{{ref, "docx"}, {ref, ""}, {"ESC-20", "md"}, {"ESC-2026-0999", "md"}} {
		var b bytes.Buffer
		if err := record.Write(ctx, &b, eng, c.ref, c.format); err == nil {
			t.Errorf("Write(%q, %q) succeeded", c.ref, c.format)
		}
		if b.Len() != 0 {
			t.Errorf("Write(%q, %q) wrote %d bytes before failing", c.ref, c.format, b.Len())
		}
	}
}

func TestRecordOfAPurgedResolvedCase(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	res, err := workflow.Apply(env, d, events, workflow.Command{Kind: workflow.CmdPurge, Actor: workflow.SystemActor, At: d.UpdatedAt.AddDate(7, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// As the store leaves the log after a purge: the steps without their words.
	var purged []workflow.Event
	for _, e := range append(events, res.Events...) {
		e.Text = ""
		if e.Proposal != nil {
			p := *e.Proposal
			p.Outcome, p.Outstanding, p.HowPursued = "", "", ""
			e.Proposal = &p
		}
		purged = append(purged, e)
	}
	rec := record.Build(env, res.Dispute, purged)
	var md, pdfOut bytes.Buffer
	if err := record.Markdown(&md, rec); err != nil {
		t.Fatal(err)
	}
	if err := record.PDF(&pdfOut, rec); err != nil {
		t.Fatal(err)
	}
	text := bottest.PDFText(t, pdfOut.Bytes())
	for _, s := range []string{subjectRef, decision, disagreement, note, agreed, outstanding, howPursued, debrief, escalate1} {
		if strings.Contains(md.String(), s) || strings.Contains(text, bottest.Squash(s)) {
			t.Errorf("the purged record still has %q", s)
		}
	}
	for _, s := range []string{"- **Agreed outcome:** (removed after the retention period)", "Resolved by the chair, Clare Hughes, on Wed 11 Mar 2026, 16:00.", "Escalated to Stage 4 (Partnership chair)", "Information sharing"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("the purged record lacks %q", s)
		}
	}
	if !strings.Contains(text, bottest.Squash("Free text removed after the retention period")) {
		t.Error("the purged PDF does not record the purge")
	}
}

// A practice record says so on every page and in its title, in each
// format; a real one never does.
func TestPracticeRecordIsMarked(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	rec := record.Build(env, d, events)
	var real bytes.Buffer
	if err := record.PDF(&real, rec); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(bottest.PDFText(t, real.Bytes()), "PRACTICE") {
		t.Error("a real record carries the practice mark")
	}

	rec.Practice = true
	var b bytes.Buffer
	if err := record.PDF(&b, rec); err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPage() < 2 {
		t.Fatalf("the scenario's record should run to several pages, has %d", r.NumPage())
	}
	for i := 1; i <= r.NumPage(); i++ {
		txt, err := r.Page(i).GetPlainText(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(bottest.Squash(txt), bottest.Squash(record.PracticeMark)) {
			t.Errorf("page %d lacks the practice mark", i)
		}
	}
	// The document title (what a PDF reader's window and tab show) is
	// written as UTF-16BE.
	var title []byte
	for _, c := range "PRACTICE" {
		title = append(title, 0, byte(c))
	}
	if !bytes.Contains(b.Bytes(), title) {
		t.Error("the PDF's title lacks the practice mark")
	}
	var md bytes.Buffer
	if err := record.Markdown(&md, rec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.String(), "**"+record.PracticeMark+".**") {
		t.Errorf("the Markdown record does not open with the mark:\n%.200s", md.String())
	}
}

// The HTML twin of the PDF: the same words, a page a screen reader can
// walk (language, title, headings in order, labelled fields), and the
// people's words escaped, never markup.
func TestRecordHTML(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	rec := record.Build(env, d, events)
	rec.Evidence = `<script>alert("x")</script> & more`
	var b bytes.Buffer
	if err := record.HTML(&b, rec); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, s := range []string{`<html lang="en-GB">`, "<title>Written record of ESC-2026-0001</title>", "<main>",
		subjectRef, disagreement, agreed, outstanding, howPursued, managerNote, rejectReason, "Sam Walker", "Clare Hughes",
		"<dt>Recorded on the file</dt><dd>yes</dd>", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more"} {
		if !strings.Contains(page, s) {
			t.Errorf("the HTML record lacks %q", s)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("a person's words reached the page as markup")
	}
	// One h1, then h2s and h3s with no level skipped.
	level := 0
	for _, m := range regexp.MustCompile(`<h([1-6])[ >]`).FindAllStringSubmatch(page, -1) {
		n := int(m[1][0] - '0')
		if (level == 0 && n != 1) || n > level+1 || (n == 1 && level != 0) {
			t.Errorf("heading h%d after h%d", n, level)
		}
		level = n
	}
	if strings.Contains(page, "PRACTICE") {
		t.Error("a real record carries the practice mark")
	}
	rec.Practice = true
	b.Reset()
	if err := record.Render(&b, rec, "html"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<title>"+record.PracticeMark+": Written record of ESC-2026-0001</title>") {
		t.Error("the practice record's title lacks the mark")
	}
}

// The PDF names its language; it claims no tagging it does not have (fpdf
// writes no structure tree), and its accessible twin, the HTML record,
// shows the stages as a table whose every cell has its headers.
func TestRecordLanguageAndStructure(t *testing.T) {
	env := testEnv(t)
	d, events := scenario(t, env)
	rec := record.Build(env, d, events)
	var pdf bytes.Buffer
	if err := record.PDF(&pdf, rec); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf.Bytes(), []byte("/Lang (en-GB)")) {
		t.Error("the PDF does not name its language")
	}
	if bytes.Contains(pdf.Bytes(), []byte("/MarkInfo")) && !bytes.Contains(pdf.Bytes(), []byte("/StructTreeRoot")) {
		t.Error("the PDF claims to be tagged without a structure tree")
	}
	var b bytes.Buffer
	if err := record.HTML(&b, rec); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	rows := regexp.MustCompile(`<tr><th scope="row">([^<]+)</th>`).FindAllStringSubmatch(page, -1)
	if len(rows) != len(rec.Stages) || len(rows) == 0 {
		t.Fatalf("%d stage rows for %d stages", len(rows), len(rec.Stages))
	}
	for i, s := range rec.Stages {
		if rows[i][1] != s.Name {
			t.Errorf("row %d is headed %q, not %q", i, rows[i][1], s.Name)
		}
	}
	cols := regexp.MustCompile(`<th scope="col">`).FindAllString(page, -1)
	cells := regexp.MustCompile(`<tr><th scope="row">.*?</tr>`).FindString(page)
	if n := strings.Count(cells, "<td>") + 1; n != len(cols) {
		t.Errorf("a row has %d cells for %d column headers", n, len(cols))
	}
	if !strings.Contains(page, `<div class="table-scroll" role="region" aria-labelledby="stages-caption" tabindex="0">`) || !strings.Contains(page, `<caption id="stages-caption">`) {
		t.Error("the stages table does not scroll in its own labelled box")
	}
}
