package teams

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// upload is one PUT the fake OneDrive upload session received.
type upload struct {
	Body                        []byte
	ContentRange, ContentLength string
}

// fakeUploads is the upload session Teams opens in the person's OneDrive
// when they accept a file: it takes the whole file in one PUT with its
// Content-Range, and answers 201 as OneDrive does on the last range.
type fakeUploads struct {
	srv  *httptest.Server
	mu   sync.Mutex
	puts []upload
}

func newFakeUploads(t *testing.T) *fakeUploads {
	f := &fakeUploads{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.puts = append(f.puts, upload{Body: body, ContentRange: r.Header.Get("Content-Range"), ContentLength: r.Header.Get("Content-Length")})
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"file-1","name":"record.pdf"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUploads) all() []upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]upload(nil), f.puts...)
}

// fileCards are the file-consent or file-info cards sent to a conversation.
func (h *harness) fileCards(conv, contentType string) []map[string]any {
	var out []map[string]any
	for _, c := range h.sends(conv) {
		if fc := c.fileCard(); fc != nil && fc["contentType"] == contentType {
			out = append(out, fc)
		}
	}
	return out
}

// consentAnswer is the invoke Teams sends when a person answers a
// file-consent card.
func (h *harness) consentAnswer(aad, action, ref, uploadURL string) map[string]any {
	act := h.activity(aad, "", nil, "")
	act["type"] = "invoke"
	act["name"] = "fileConsent/invoke"
	value := map[string]any{"type": "fileUpload", "action": action, "context": map[string]any{"ref": ref}}
	if action == "accept" {
		value["uploadInfo"] = map[string]any{
			"name": ref + ".pdf", "uploadUrl": uploadURL,
			"contentUrl": "https://contoso-my.sharepoint.com/personal/pat/Documents/Applications/Escalate/" + ref + ".pdf",
			"uniqueId":   "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "pdf",
		}
	}
	act["value"] = value
	return act
}

// TestRecordFileThroughFileConsent: a person who may see the case is
// offered the record's PDF with a consent card in their 1:1 chat; on their
// yes the PDF is uploaded to the session Teams opened and shown with a
// file-info card; on their no nothing is uploaded. A stranger is offered
// nothing, and a yes from them uploads nothing.
func TestRecordFileThroughFileConsent(t *testing.T) {
	h := newHarness(t)
	uploads := newFakeUploads(t)
	ref := h.raiseOne()
	raiserConv := personalConv(aadRaiser)

	// A stranger is refused and offered no file.
	h.send(h.activity(aadStranger, "record "+ref, nil, ""))
	mustContain(t, "the stranger's answer", h.lastReply(aadStranger).Raw, "Not done")
	for _, c := range h.conn.all() {
		if strings.Contains(c.Raw, fileConsentType) {
			t.Fatalf("a file was offered after a stranger's record: %s", c.Raw)
		}
	}

	h.send(h.activity(aadRaiser, "record "+ref, nil, ""))
	offers := h.fileCards(raiserConv, fileConsentType)
	if len(offers) != 1 {
		t.Fatalf("consent cards in the raiser's chat: %d, want 1", len(offers))
	}
	offer := offers[0]
	content, _ := offer["content"].(map[string]any)
	size, _ := content["sizeInBytes"].(float64)
	accept, _ := content["acceptContext"].(map[string]any)
	decline, _ := content["declineContext"].(map[string]any)
	if offer["name"] != ref+".pdf" || size <= 0 || accept["ref"] != ref || decline["ref"] != ref ||
		content["description"] != "The written record of "+ref {
		t.Fatalf("the consent card: %v", offer)
	}

	// The stranger answers a consent of their own making: nothing goes up.
	if code := h.post(h.consentAnswer(aadStranger, "accept", ref, uploads.srv.URL+"/stranger"), h.token()); code != http.StatusOK {
		t.Fatalf("the stranger's invoke answered %d, want 200", code)
	}
	if n := len(uploads.all()); n != 0 {
		t.Fatalf("a stranger's accept uploaded %d files", n)
	}

	// An unsigned answer is refused.
	if code := h.post(h.consentAnswer(aadRaiser, "accept", ref, uploads.srv.URL+"/forged"), ""); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned invoke answered %d, want 401", code)
	}

	// Declined: no upload, and the person is told.
	h.send(h.consentAnswer(aadRaiser, "decline", ref, ""))
	if n := len(uploads.all()); n != 0 {
		t.Fatalf("a decline uploaded %d files", n)
	}
	mustContain(t, "the answer to a decline", h.lastDM(raiserConv).Raw, "No file sent")

	// Accepted: the PDF goes up whole, then the file card points at it.
	h.send(h.consentAnswer(aadRaiser, "accept", ref, uploads.srv.URL+"/session/abc"))
	puts := uploads.all()
	if len(puts) != 1 {
		t.Fatalf("uploads after the accept: %d, want 1", len(puts))
	}
	put := puts[0]
	n := len(put.Body)
	if !strings.HasPrefix(string(put.Body), "%PDF") {
		t.Fatalf("the upload is not a PDF: %.20q", put.Body)
	}
	if n != int(size) {
		t.Fatalf("uploaded %d bytes, the consent card said %d", n, int(size))
	}
	if want := fmt.Sprintf("bytes 0-%d/%d", n-1, n); put.ContentRange != want {
		t.Fatalf("Content-Range %q, want %q", put.ContentRange, want)
	}
	if put.ContentLength != fmt.Sprint(n) {
		t.Fatalf("Content-Length %q, want %d", put.ContentLength, n)
	}
	infos := h.fileCards(raiserConv, fileInfoType)
	if len(infos) != 1 {
		t.Fatalf("file-info cards in the raiser's chat: %d, want 1", len(infos))
	}
	info := infos[0]
	infoContent, _ := info["content"].(map[string]any)
	if info["contentUrl"] != "https://contoso-my.sharepoint.com/personal/pat/Documents/Applications/Escalate/"+ref+".pdf" ||
		info["name"] != ref+".pdf" || infoContent["uniqueId"] != "1150D938-8870-4044-9F2C-5BBDEBA70C8C" || infoContent["fileType"] != "pdf" {
		t.Fatalf("the file-info card: %v", info)
	}
}
