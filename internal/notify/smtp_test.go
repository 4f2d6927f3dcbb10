package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a minimal loopback SMTP server for one or more sessions. It
// offers STARTTLS when tlsCfg is set and AUTH PLAIN, and records the
// conversation so the test can check every command.
type smtpServer struct {
	ln     net.Listener
	tlsCfg *tls.Config
	// rejectRcpt makes RCPT TO answer 550 (a permanent error).
	rejectRcpt bool

	mu       sync.Mutex
	commands []string
	auth     string // decoded AUTH PLAIN payload
	data     string
	tls      bool
	wg       sync.WaitGroup
}

func startSMTP(t *testing.T, tlsCfg *tls.Config) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, tlsCfg: tlsCfg}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.session(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	w := func(line string) { io.WriteString(c, line+"\r\n") }
	w("220 mail.test ESMTP")
	secure := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.commands = append(s.commands, line)
		s.mu.Unlock()
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch {
		case verb == "EHLO":
			if s.tlsCfg != nil && !secure {
				w("250-mail.test")
				w("250-STARTTLS")
				w("250 AUTH PLAIN")
			} else {
				w("250-mail.test")
				w("250 AUTH PLAIN")
			}
		case verb == "STARTTLS":
			w("220 go ahead")
			tc := tls.Server(c, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
			s.mu.Lock()
			s.tls = true
			s.mu.Unlock()
		case verb == "AUTH":
			f := strings.Fields(line)
			if len(f) != 3 || f[1] != "PLAIN" {
				w("504 only PLAIN with initial response")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(f[2])
			s.mu.Lock()
			s.auth = string(b)
			s.mu.Unlock()
			w("235 2.7.0 ok")
		case strings.HasPrefix(strings.ToUpper(line), "MAIL FROM:"):
			w("250 ok")
		case strings.HasPrefix(strings.ToUpper(line), "RCPT TO:"):
			if s.rejectRcpt {
				w("550 5.1.1 no such user")
			} else {
				w("250 ok")
			}
		case verb == "DATA":
			w("354 end with .")
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
			s.mu.Lock()
			s.data = b.String()
			s.mu.Unlock()
			w("250 queued")
		case verb == "QUIT":
			w("221 bye")
			return
		case verb == "RSET", verb == "NOOP":
			w("250 ok")
		default:
			w("502 unknown")
		}
	}
}

// selfSigned returns a server config and a client config trusting it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func TestEmailSMTP(t *testing.T) {
	t.Parallel()
	for _, withTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "starttls"}[withTLS]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var srvTLS, cliTLS *tls.Config
			if withTLS {
				srvTLS, cliTLS = selfSigned(t)
			}
			srv := startSMTP(t, srvTLS)
			rec := &recorder{}
			n := newNotifier(t, rec, nil, ChannelConfig{
				Name: "mail", Type: "email", Server: srv.ln.Addr().String(), RequireTLS: withTLS,
				From: "运维平台 <roomwatch@ops.example.org>", To: []string{"项目经理 <pm@ops.example.org>", "duty@ops.example.org"},
				Username: "roomwatch", Password: "s3cret-pw",
			})
			n.channels["mail"].(*email).tlsConfig = cliTLS
			if err := n.Notify(context.Background(), EventBreach, sampleData(), []string{"mail"}, rec.report); err != nil {
				t.Fatal(err)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if srv.tls != withTLS {
				t.Errorf("TLS = %v", srv.tls)
			}
			if srv.auth != "\x00roomwatch\x00s3cret-pw" {
				t.Errorf("AUTH PLAIN = %q", srv.auth)
			}
			var cmds []string
			for _, c := range srv.commands {
				if !strings.HasPrefix(c, "AUTH") {
					cmds = append(cmds, c)
				}
			}
			want := "EHLO roomwatch|MAIL FROM:<roomwatch@ops.example.org> BODY=8BITMIME|RCPT TO:<pm@ops.example.org>|RCPT TO:<duty@ops.example.org>|DATA|QUIT"
			if withTLS {
				want = "EHLO roomwatch|STARTTLS|" + want
			}
			if got := strings.Join(cmds, "|"); got != want && got != strings.ReplaceAll(want, " BODY=8BITMIME", "") {
				t.Errorf("commands = %s\nwant %s", got, want)
			}
			msg, err := mail.ReadMessage(strings.NewReader(srv.data))
			if err != nil {
				t.Fatal(err)
			}
			m, _ := DefaultTemplates().Render(EventBreach, sampleData())
			var dec mime.WordDecoder
			subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || subj != m.Title {
				t.Errorf("Subject = %q (%v), want %q", subj, err, m.Title)
			}
			if raw := msg.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
				t.Errorf("Subject not Q-encoded: %q", raw)
			}
			if msg.Header.Get("Content-Type") != `text/plain; charset="utf-8"` || msg.Header.Get("Content-Transfer-Encoding") != "base64" {
				t.Errorf("headers = %v", msg.Header)
			}
			if d, err := msg.Header.Date(); err != nil || !d.Equal(fixedNow) {
				t.Errorf("Date = %v, %v", d, err)
			}
			body, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
			if string(body) != m.Body {
				t.Errorf("body = %q\nwant %q", body, m.Body)
			}
			if len(rec.attempts) != 1 || !rec.attempts[0].OK {
				t.Errorf("attempts = %+v", rec.attempts)
			}
		})
	}
}

func TestEmailFailures(t *testing.T) {
	t.Parallel()
	// Server without STARTTLS while require_tls is set: permanent, one attempt.
	srv := startSMTP(t, nil)
	rec := &recorder{}
	n := newNotifier(t, rec, nil, ChannelConfig{Name: "mail", Type: "email", Server: srv.ln.Addr().String(),
		From: "rw@example.org", To: []string{"a@example.org"}, RequireTLS: true})
	err := n.Notify(context.Background(), EventNew, sampleData(), nil, rec.report)
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") || len(rec.attempts) != 1 {
		t.Errorf("err = %v attempts %+v", err, rec.attempts)
	}
	// A rejected recipient (550) is permanent: one attempt, reported, and the
	// password never appears.
	srv2 := startSMTP(t, nil)
	srv2.rejectRcpt = true
	rec2 := &recorder{}
	n2 := newNotifier(t, rec2, nil, ChannelConfig{Name: "mail", Type: "email", Server: srv2.ln.Addr().String(),
		From: "rw@example.org", To: []string{"nobody@example.org"}, Username: "u", Password: "hunter2-pw"})
	err = n2.Notify(context.Background(), EventNew, sampleData(), nil, rec2.report)
	if err == nil || !strings.Contains(err.Error(), "550") || strings.Contains(err.Error(), "hunter2-pw") {
		t.Errorf("err = %v", err)
	}
	if len(rec2.attempts) != 1 || !rec2.attempts[0].Final {
		t.Errorf("attempts = %d", len(rec2.attempts))
	}
}
