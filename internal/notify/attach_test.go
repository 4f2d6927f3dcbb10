package notify

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// TestMailAttachments builds a mail with a Chinese-named workbook and reads
// it back as a mail client would: ASCII on the wire, the text part first,
// then the file with its name and bytes intact.
func TestMailAttachments(t *testing.T) {
	xlsx := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0, 0xff, 'x'}, 100)...)
	raw := BuildMailWith("运维 <ops@example.test>", []string{"甲方 <bureau@example.test>"}, "2026-11 每月故障总结报告",
		"附件为 11 月报表。", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		[]Attachment{{Name: "月报-2026-11.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsx}})
	for i, c := range raw {
		if c >= 0x80 {
			t.Fatalf("byte %d is not ASCII: %q", i, raw[max(0, i-20):i+1])
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q (%v), want multipart/mixed", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	read := func() (*multipart.Part, []byte) {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := io.ReadAll(p)
		dec, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(enc)))
		if err != nil {
			t.Fatal(err)
		}
		return p, dec
	}
	p, text := read()
	if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") || string(text) != "附件为 11 月报表。" {
		t.Errorf("first part %q = %q, want the text", p.Header.Get("Content-Type"), text)
	}
	p, file := read()
	if p.FileName() != "月报-2026-11.xlsx" || !bytes.Equal(file, xlsx) {
		t.Errorf("attachment %q with %d bytes, want 月报-2026-11.xlsx with %d", p.FileName(), len(file), len(xlsx))
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("a third part: %v", err)
	}
}
