package teams

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/escalate-app/escalate/bot/record"
	"github.com/escalate-app/escalate/workflow"
)

// A bot can put a file in a 1:1 chat only through Teams' file-consent round
// trip: it offers the file with a consent card, Teams asks the person, and
// on their yes sends a fileConsent/invoke with an upload session in their
// OneDrive; the bot uploads there and then shows the file with a file-info
// card.
const (
	fileConsentType   = "application/vnd.microsoft.teams.card.file.consent"
	fileInfoType      = "application/vnd.microsoft.teams.card.file.info"
	fileConsentInvoke = "fileConsent/invoke"
)

// uploadTimeout bounds one upload of a record to the person's OneDrive.
const uploadTimeout = 60 * time.Second

// recordPDF renders a record as the PDF the person is offered.
func recordPDF(rec record.Record) ([]byte, error) {
	var buf bytes.Buffer
	if err := record.PDF(&buf, rec); err != nil {
		return nil, fmt.Errorf("render the record as a PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// offerRecordFile sends the consent card for a record's PDF to the
// person's 1:1 chat with Escalate (never a channel: the file carries the
// case's words).
func (a *Adapter) offerRecordFile(ctx context.Context, user workflow.UserID, rec record.Record) error {
	pdf, err := recordPDF(rec)
	if err != nil {
		return err
	}
	conv, ok, err := a.conversationOf(ctx, user)
	if err != nil {
		return err
	}
	if !ok || conv.ConversationID == "" || conv.ServiceURL == "" {
		return errors.New("offer the record as a file: no 1:1 chat with the person is known")
	}
	reg, err := a.registrationFor(user, conv)
	if err != nil {
		return fmt.Errorf("offer the record as a file: %w", err)
	}
	ctxRef := map[string]string{"ref": rec.Ref}
	att := schema.Attachment{
		ContentType: fileConsentType,
		Name:        rec.Ref + ".pdf",
		Content: map[string]any{
			"description":    "The written record of " + rec.Ref,
			"sizeInBytes":    len(pdf),
			"acceptContext":  ctxRef,
			"declineContext": ctxRef,
		},
	}
	if _, err := reg.conn.sendAttachment(ctx, conv.ServiceURL, conv.ConversationID, att); err != nil {
		return fmt.Errorf("offer the record as a file: %w", err)
	}
	return nil
}

// sendAttachment posts a message with one attachment that is not an
// Adaptive Card (a file-consent or file-info card).
func (c *connector) sendAttachment(ctx context.Context, serviceURL, conversationID string, att schema.Attachment) (string, error) {
	var out schema.ResourceResponse
	body := outgoing{Type: string(schema.Message), Attachments: []schema.Attachment{att}}
	err := c.call(ctx, http.MethodPost, activitiesURL(serviceURL, conversationID), "send a file card", body, &out)
	return out.ID, err
}

// uploadInfo is where Teams has prepared the accepted file in the person's
// OneDrive.
type uploadInfo struct {
	Name, UploadURL, ContentURL, UniqueID, FileType string
}

// fileConsent answers the person's yes or no to a record's consent card.
// Answers about anything else, or malformed ones, change nothing. The
// invoke itself is answered 200 with an empty body by serveMessages.
func (a *Adapter) fileConsent(ctx context.Context, act schema.Activity, user workflow.UserID) error {
	if str(act.Value, "type") != "fileUpload" {
		return nil
	}
	consentCtx, _ := act.Value["context"].(map[string]any)
	ref, ok := workflow.ParseRef(str(consentCtx, "ref"))
	if !ok {
		return nil
	}
	switch str(act.Value, "action") {
	case "decline":
		_, err := a.via(act).conn.send(ctx, act.ServiceURL, act.Conversation.ID, notice("No file sent", "You declined the file of "+ref+"'s written record."), "")
		return err
	case "accept":
	default:
		return nil
	}
	up, _ := act.Value["uploadInfo"].(map[string]any)
	info := uploadInfo{Name: str(up, "name"), UploadURL: str(up, "uploadUrl"), ContentURL: str(up, "contentUrl"),
		UniqueID: str(up, "uniqueId"), FileType: str(up, "fileType")}
	if u, err := url.Parse(info.UploadURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		a.log.WarnContext(ctx, "a file consent without an upload url", "ref", ref)
		return nil
	}
	// The person's rights are checked again: they may have lost sight of
	// the case since the offer.
	rec, err := record.ForViewer(ctx, a.eng, ref, user)
	var refusal *workflow.Refusal
	if errors.As(err, &refusal) {
		a.log.WarnContext(ctx, "refused a record file", "ref", ref, "code", string(refusal.Code))
		return nil
	}
	if err != nil {
		return fmt.Errorf("record file: %w", err)
	}
	pdf, err := recordPDF(rec)
	if err != nil {
		return err
	}
	if err := a.upload(ctx, info.UploadURL, pdf); err != nil {
		a.log.ErrorContext(ctx, "upload a record file", "ref", ref, "error", err.Error())
		_, serr := a.via(act).conn.send(ctx, act.ServiceURL, act.Conversation.ID, notice("No file sent", "The record of "+ref+" could not be put in your OneDrive. Try record "+ref+" again in a moment."), "")
		return serr
	}
	att := schema.Attachment{
		ContentType: fileInfoType, ContentURL: info.ContentURL, Name: info.Name,
		Content: map[string]any{"uniqueId": info.UniqueID, "fileType": info.FileType},
	}
	if _, err := a.via(act).conn.sendAttachment(ctx, act.ServiceURL, act.Conversation.ID, att); err != nil {
		return fmt.Errorf("show the record file: %w", err)
	}
	return nil
}

// upload puts the whole file in the upload session Teams opened, in one
// request.
func (a *Adapter) upload(ctx context.Context, uploadURL string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("upload request: %w", err)
	}
	n := len(data)
	req.ContentLength = int64(n)
	req.Header.Set("Content-Length", strconv.Itoa(n))
	req.Header.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", n-1, n))
	resp, err := a.regs[0].conn.client.Do(req) // one HTTP client serves every registration
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("upload: status %d", resp.StatusCode)
	}
	return nil
}
