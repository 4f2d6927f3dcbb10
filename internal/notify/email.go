package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
)

func secretOf(s string) inventory.Secret { return inventory.Secret(s) }

type email struct {
	cfg     ChannelConfig
	timeout time.Duration
	clock   clockwork.Clock
	// tlsConfig overrides the STARTTLS config (tests trust their own CA).
	tlsConfig *tls.Config
}

func (e *email) Name() string { return e.cfg.Name }
func (e *email) Type() string { return "email" }

// BuildMail returns the RFC 5322 message, ASCII only on the wire: display
// names and the subject as RFC 2047 UTF-8 encoded words (the subject folded
// between words), a base64 text/plain UTF-8 body.
func BuildMail(from string, to []string, subject, body string, date time.Time) []byte {
	return BuildMailWith(from, to, subject, body, date, nil)
}

// BuildMailWith is BuildMail with attachments: with any, the message is
// multipart/mixed, the text first, then each file base64 encoded with its
// name in RFC 2231 form (filename*=, UTF-8, percent-encoded).
func BuildMailWith(from string, to []string, subject, body string, date time.Time, atts []Attachment) []byte {
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", encodeAddress(from))
	addrs := make([]string, len(to))
	for i, a := range to {
		addrs[i] = encodeAddress(a)
	}
	hdr("To", strings.Join(addrs, ",\r\n "))
	hdr("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", subject), "?= =?", "?=\r\n =?"))
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	if len(atts) == 0 {
		hdr("Content-Type", `text/plain; charset="utf-8"`)
		hdr("Content-Transfer-Encoding", "base64")
		b.WriteString("\r\n")
		writeBase64(&b, []byte(body))
		return []byte(b.String())
	}
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	hdr("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	part := func(h textproto.MIMEHeader, data []byte) {
		h.Set("Content-Transfer-Encoding", "base64")
		w, _ := mw.CreatePart(h) // writes to a bytes.Buffer: no error
		var s strings.Builder
		writeBase64(&s, data)
		_, _ = io.WriteString(w, s.String())
	}
	part(textproto.MIMEHeader{"Content-Type": {`text/plain; charset="utf-8"`}}, []byte(body))
	for _, a := range atts {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		part(textproto.MIMEHeader{
			"Content-Type":        {ct},
			"Content-Disposition": {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
		}, a.Data)
	}
	_ = mw.Close()
	b.Write(parts.Bytes())
	return []byte(b.String())
}

// writeBase64 writes data base64 encoded in lines of 76 characters.
func writeBase64(b *strings.Builder, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
}

// encodeAddress returns an address for a header, its display name RFC 2047
// encoded when not ASCII; an address that does not parse is kept as written
// (send refuses it before any message is built).
func encodeAddress(a string) string {
	p, err := mail.ParseAddress(a)
	if err != nil {
		return a
	}
	return p.String()
}

func (e *email) Send(ctx context.Context, m Message) error {
	err := e.send(ctx, m)
	if err == nil {
		return nil
	}
	// A 5xx reply (bad recipient, refused sender, failed auth) will not change
	// on retry; 4xx and network errors may.
	var te *textproto.Error
	perm := IsPermanent(err) || (errors.As(err, &te) && te.Code >= 500)
	return scrub(perm, err, e.cfg.Password)
}

func (e *email) send(ctx context.Context, m Message) error {
	host, _, err := net.SplitHostPort(e.cfg.Server)
	if err != nil {
		return &sendError{msg: fmt.Sprintf("server %q: %v", e.cfg.Server, err), permanent: true}
	}
	from, err := mail.ParseAddress(e.cfg.From)
	if err != nil {
		return &sendError{msg: fmt.Sprintf("from %q: %v", e.cfg.From, err), permanent: true}
	}
	to := recipientEmails(m.To, e.cfg.To)
	var rcpts []string
	for _, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return &sendError{msg: fmt.Sprintf("to %q: %v", t, err), permanent: true}
		}
		rcpts = append(rcpts, a.Address)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Server)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("roomwatch"); err != nil {
		return fmt.Errorf("smtp EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := e.tlsConfig
		if tc == nil {
			tc = &tls.Config{ServerName: host, InsecureSkipVerify: e.cfg.InsecureSkipVerify} //nolint:gosec // operator's choice for internal CAs
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("smtp STARTTLS: %w", err)
		}
	} else if e.cfg.RequireTLS {
		return &sendError{msg: "smtp: server does not offer STARTTLS and require_tls is set", permanent: true}
	}
	if e.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return &sendError{msg: "smtp: server does not offer AUTH", permanent: true}
		}
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password.Reveal(), host)); err != nil {
			return fmt.Errorf("smtp AUTH: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("smtp RCPT TO %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(BuildMailWith(e.cfg.From, to, m.Title, m.Body, e.clock.Now(), m.Attachments)); err != nil {
		return fmt.Errorf("smtp DATA write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of DATA: %w", err)
	}
	if err := c.Quit(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("smtp QUIT: %w", err)
	}
	return nil
}
