package tickets_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"flag"
	"io"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// mailbox is a loopback SMTP server (no TLS, no auth) that records each
// session's envelope and message.
type mailbox struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data string // the DATA, dot-unstuffed, CRLF line ends
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{ln: ln}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.session(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); m.wg.Wait() })
	return m
}

func (m *mailbox) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { _, _ = io.WriteString(c, s+"\r\n") }
	say("220 mail.test ESMTP")
	var cur received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		up := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(up, "EHLO"), strings.HasPrefix(up, "HELO"):
			say("250 mail.test")
		case strings.HasPrefix(up, "MAIL FROM:"):
			cur = received{from: line[len("MAIL FROM:"):]}
			say("250 ok")
		case strings.HasPrefix(up, "RCPT TO:"):
			cur.to = append(cur.to, line[len("RCPT TO:"):])
			say("250 ok")
		case up == "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = b.String()
			m.mu.Lock()
			m.msgs = append(m.msgs, cur)
			m.mu.Unlock()
			say("250 queued")
		case up == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (m *mailbox) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.msgs...)
}

// TestEscalationByEmail: a respond timer's warning point sends one e-mail
// through the escalation path to a loopback SMTP server. The message is
// checked byte for byte against a golden file and decoded independently:
// the Chinese subject is RFC 2047 encoded (ASCII on the wire), the body is
// base64 UTF-8, and the attempt is on the ticket's history.
func TestEscalationByEmail(t *testing.T) {
	t.Parallel()
	box := startMailbox(t)
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{{
		Name: "mail", Type: "email", Server: box.ln.Addr().String(),
		From: "roomwatch <roomwatch@gaj.example>", To: []string{"值班工程师 <duty@gaj.example>"},
	}}}, notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n, Routes: map[string][]string{"engineer": {"mail"}},
		URL: "http://roomwatch.gaj.example"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: "打印机无法打印", Level: 4, Device: "prn1", Site: "城关机房", Actor: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(24 * time.Minute) // level IV respond: 30 min, warning at 80 %
	if err := esc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := esc.RunOnce(ctx); err != nil { // a second pass sends nothing more
		t.Fatal(err)
	}
	msgs := box.received()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	got := msgs[0]
	if got.from != "<roomwatch@gaj.example>" || len(got.to) != 1 || got.to[0] != "<duty@gaj.example>" {
		t.Errorf("envelope from %q to %q", got.from, got.to)
	}
	golden := filepath.Join("testdata", "escalation_warning.eml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got.data != string(want) {
		t.Errorf("message differs from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", golden, got.data, want)
	}

	// Decode it as a mail reader would.
	msg, err := mail.ReadMessage(strings.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(got.data, "\r\n") {
		for _, r := range l {
			if r > 127 {
				t.Fatalf("non-ASCII on the wire: %q", l)
			}
		}
	}
	rawSubj := msg.Header.Get("Subject")
	if !strings.HasPrefix(rawSubj, "=?utf-8?q?") {
		t.Errorf("subject %q is not RFC 2047 Q-encoded UTF-8", rawSubj)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(rawSubj)
	if err != nil {
		t.Fatal(err)
	}
	if wantSubj := "【时限预警】#1 响应将于 2025-03-03 09:30 到期"; subj != wantSubj {
		t.Errorf("subject %q, want %q", subj, wantSubj)
	}
	if ct := msg.Header.Get("Content-Type"); ct != `text/plain; charset="utf-8"` {
		t.Errorf("content type %q", ct)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "base64" {
		t.Errorf("transfer encoding %q", cte)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(ticketstest.Start.Add(24*time.Minute)) {
		t.Errorf("date %v (%v), want the fake clock's %v", d, err, ticketstest.Start.Add(24*time.Minute))
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "值班工程师" {
		t.Errorf("To %v (%v)", to, err)
	}
	raw, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	for _, w := range []string{"打印机无法打印", "#1", "城关机房", "prn1", "驻场工程师", "响应", "2025-03-03 09:30", "http://roomwatch.gaj.example/tickets/1"} {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q:\n%s", w, body)
		}
	}

	// The attempt is on the ticket's history.
	full, err := env.Service.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	for _, e := range full.Events {
		if e.Kind == tickets.EventNotice {
			notices = append(notices, e.Note)
		}
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "经 mail 第1次 成功 ok") {
		t.Errorf("notice events %q, want one successful attempt via mail", notices)
	}
}
