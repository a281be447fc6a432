package record

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/escalate-app/escalate/workflow"
)

// PDF writes the record as an A4 PDF document, for the child's or adult's
// file.
func PDF(w io.Writer, rec Record) error {
	doc := fpdf.New("P", "mm", "A4", "")
	// The document's dates are the case's, so the same record always
	// gives the same file.
	stamp := rec.Raised
	for _, e := range rec.Events {
		if e.At.After(stamp) {
			stamp = e.At
		}
	}
	doc.SetCreationDate(stamp)
	doc.SetModificationDate(stamp)
	doc.SetCatalogSort(true) // fonts in a fixed order, not a map's
	title := "Written record of " + rec.Ref
	if rec.Practice {
		title = PracticeMark + ": " + title
	}
	doc.SetTitle(title, true)
	doc.SetCreator("Escalate", true)
	// The document's language, for a reader's voice. The PDF is not
	// tagged: fpdf writes no structure tree or marked content, and a
	// /MarkInfo claiming otherwise would mislead a screen reader. Its
	// accessible twin is the HTML record (HTML), offered beside it
	// wherever it is.
	doc.SetLang("en-GB")
	doc.SetMargins(18, 18, 18)
	doc.SetAutoPageBreak(true, 18)
	doc.AliasNbPages("")

	// The core fonts are in code page 1252: the translator maps what the
	// code page has, pdfSafe replaces what it has not.
	cp := doc.UnicodeTranslatorFromDescriptor("")
	tr := func(s string) string { return cp(pdfSafe(s)) }

	kind := "written record"
	if rec.Practice {
		kind = PracticeMark
		// A band across the top of every page, so no page of a practice
		// record, printed or forwarded alone, reads as a real one.
		doc.SetHeaderFunc(func() {
			doc.SetFont("Helvetica", "B", 11)
			doc.SetFillColor(178, 34, 34)
			doc.SetTextColor(255, 255, 255)
			doc.CellFormat(0, 8, tr(PracticeMark+" · made in the practice console"), "", 1, "C", true, 0, "")
			doc.SetTextColor(0, 0, 0)
			doc.Ln(3)
		})
	}
	doc.SetFooterFunc(func() {
		doc.SetY(-12)
		doc.SetFont("Helvetica", "", 8)
		doc.SetTextColor(110, 110, 110)
		doc.CellFormat(0, 5, tr(fmt.Sprintf("%s · %s · page %d of {nb}", rec.Ref, kind, doc.PageNo())), "", 0, "C", false, 0, "")
		doc.SetTextColor(0, 0, 0)
	})
	doc.AddPage()

	const labelW = 52.0
	heading := func(s string) {
		doc.Ln(3)
		doc.SetFont("Helvetica", "B", 13)
		doc.MultiCell(0, 7, tr(s), "", "L", false)
		doc.Ln(1)
	}
	subheading := func(s string) {
		doc.Ln(1)
		doc.SetFont("Helvetica", "B", 11)
		doc.MultiCell(0, 6, tr(s), "", "L", false)
	}
	para := func(s string) {
		doc.SetFont("Helvetica", "", 10)
		doc.MultiCell(0, 5, tr(s), "", "L", false)
	}
	field := func(label, value string) {
		if value == "" {
			return
		}
		doc.SetFont("Helvetica", "B", 10)
		x := doc.GetX()
		doc.CellFormat(labelW, 5, tr(label), "", 0, "L", false, 0, "")
		doc.SetFont("Helvetica", "", 10)
		doc.MultiCell(0, 5, tr(value), "", "L", false)
		doc.SetX(x)
	}
	indented := func(indent float64, label, value string) {
		left, _, _, _ := doc.GetMargins()
		doc.SetX(left + indent)
		doc.SetFont("Helvetica", "B", 10)
		lw := doc.GetStringWidth(tr(label+" ")) + 1
		doc.CellFormat(lw, 5, tr(label), "", 0, "L", false, 0, "")
		doc.SetFont("Helvetica", "", 10)
		doc.MultiCell(0, 5, tr(value), "", "L", false)
	}
	outcome := func(indent float64, o Outcome) {
		if o.Agreed == "" {
			indented(indent, "Agreed outcome:", removed)
			indented(indent, "Recorded on the file:", yesNotYet(o.RecordedOnFile))
			return
		}
		indented(indent, "Agreed outcome:", o.Agreed)
		if o.Outstanding != "" {
			indented(indent, "Outstanding issues:", o.Outstanding)
			indented(indent, "How they will be pursued:", o.HowPursued)
		} else {
			indented(indent, "Outstanding issues:", "none")
		}
		indented(indent, "Recorded on the file:", yesNotYet(o.RecordedOnFile))
	}

	doc.SetFont("Helvetica", "B", 17)
	doc.MultiCell(0, 9, tr("Written record of "+rec.Ref), "", "L", false)
	para(fmt.Sprintf("%s. Times are %s time.", rec.Partnership, rec.TimeZone))
	if rec.Purged {
		doc.Ln(1)
		para("The free text of this case and its subject reference were removed after the retention period. The steps, people and dates remain.")
	}

	heading("The case")
	for _, f := range rec.CaseFields() {
		field(f.Label, f.Value)
	}

	heading("The disagreement")
	for _, f := range rec.DisagreementFields() {
		field(f.Label, f.Value)
	}

	heading("Who held the case")
	for _, s := range rec.Stages {
		subheading(s.Name)
		field("Held by", s.Role)
		field("From", FormatTime(s.Since))
		field("Window", s.Window)
		if len(s.Raiser) > 0 {
			field("Raiser's side", strings.Join(s.Raiser, ", ")+" ("+s.RaiserAgency+")")
		}
		if len(s.Responder) > 0 {
			field("Responder's side", strings.Join(s.Responder, ", ")+" ("+s.ResponderAgency+")")
		}
		if len(s.Chair) > 0 {
			field("Chair", strings.Join(s.Chair, ", "))
		}
	}

	heading("What happened")
	for i, e := range rec.Events {
		doc.SetFont("Helvetica", "B", 10)
		doc.MultiCell(0, 5, tr(fmt.Sprintf("%d. %s · %s · %s", i+1, FormatTime(e.At), e.Stage, e.Actor)), "", "L", false)
		left, _, _, _ := doc.GetMargins()
		doc.SetX(left + 5)
		doc.SetFont("Helvetica", "", 10)
		doc.MultiCell(0, 5, tr(e.Summary), "", "L", false)
		if e.Words != "" {
			indented(5, e.WordsLabel+":", e.Words)
		}
		if e.Proposal != nil {
			outcome(5, *e.Proposal)
		}
		doc.Ln(1.5)
	}
	if len(rec.Events) == 0 {
		para("Nothing is recorded.")
	}

	heading("Outcome")
	switch {
	case rec.Outcome != nil:
		o := rec.Outcome
		if o.ResolvedByChair {
			para(fmt.Sprintf("Resolved by the chair, %s, on %s.", o.ConfirmedBy, FormatTime(o.ConfirmedAt)))
		} else {
			para(fmt.Sprintf("Proposed by %s on %s; confirmed by %s on %s.", o.ProposedBy, FormatTime(o.ProposedAt), o.ConfirmedBy, FormatTime(o.ConfirmedAt)))
		}
		doc.Ln(1)
		outcome(0, *o)
		if len(rec.Panel) > 0 {
			indented(0, "Resolution panel:", strings.Join(rec.Panel, ", "))
		}
		if a := rec.AfterResolution; a != nil {
			indented(0, a.What+":", a.Status)
		}
	case rec.State == StateLabel(workflow.StateWithdrawn):
		para(fmt.Sprintf("Withdrawn by %s on %s.", rec.Raiser.Person, FormatTime(rec.Closed)))
		if rec.WithdrawReason != "" {
			indented(0, "Reason for withdrawing:", rec.WithdrawReason)
		}
	default:
		para(fmt.Sprintf("The case is %s at %s.", rec.State, rec.StageReached))
		if len(rec.Panel) > 0 {
			indented(0, "Resolution panel:", strings.Join(rec.Panel, ", "))
		}
	}

	if len(rec.Debriefs) > 0 {
		heading("Debriefs")
		for _, d := range rec.Debriefs {
			text := d.Text
			if text == "" {
				text = removed
			}
			indented(0, d.By+", "+FormatTime(d.At)+":", text)
		}
	}
	if len(rec.Themes) > 0 {
		heading("Learning themes")
		for _, t := range rec.Themes {
			para("• " + t)
		}
	}

	if err := doc.Output(w); err != nil {
		return fmt.Errorf("write the record of %s as PDF: %w", rec.Ref, err)
	}
	return nil
}

// cp1252Extra are the characters code page 1252 has besides ASCII and
// Latin-1 (its 0x80–0x9F range).
const cp1252Extra = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"

// pdfReplacements say in code page 1252 what it cannot show.
var pdfReplacements = map[rune]string{
	'↔': "<->", '→': "->", '←': "<-", '⇒': "=>", '≤': "<=", '≥': ">=", '≠': "!=",
	'✓': "yes", '✔': "yes", '✗': "x", '−': "-", '‐': "-", '‑': "-", '‒': "-", '―': "—",
	'\u00a0': " ", '\u2009': " ", '\u202f': " ", '\u2007': " ", '\u200b': "",
	'′': "'", '″': "\"",
}

// pdfSafe rewrites text so that every character is one the core fonts can
// draw: ASCII, Latin-1 and code page 1252's extras stay; arrows and the
// like become their ASCII forms; anything else becomes "?" rather than
// disappearing silently.
func pdfSafe(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r == '\r':
			// Control characters draw nothing.
		case r < 0x7f:
			b.WriteRune(r)
		case pdfReplacements[r] != "":
			b.WriteString(pdfReplacements[r])
		case r >= 0xa0 && r <= 0xff, strings.ContainsRune(cp1252Extra, r):
			b.WriteRune(r)
		default:
			if _, ok := pdfReplacements[r]; ok {
				continue // zero-width characters
			}
			b.WriteByte('?')
		}
	}
	return b.String()
}
