package console_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
)

// TestAdminAuditSearchFromTables: with no audit file, the admin page's
// search reads accounts.db's chained audit table (and any other table
// given), merged newest first.
func TestAdminAuditSearchFromTables(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "root", "", auth.RoleAdmin, true)
	ctx := context.Background()
	e.clock.Advance(time.Minute)
	if _, err := e.store.Login(ctx, "intruder", "Wrong-Pass-2024", "10.7.7.7"); err == nil {
		t.Fatal("unknown user logged in")
	}
	// A second table standing for tickets.db's audit_log: a line newer
	// than the failure.
	ticketLine := auth.AuditLine{At: e.clock.Now().Add(time.Second), Kind: "ack", Who: "intruder-watch", Text: `{"kind":"ack","note":"intruder seen"}`}
	tickets := console.AuditSearch(func(_ context.Context, q string, _ int) ([]auth.AuditLine, error) {
		if strings.Contains(ticketLine.Text, strings.ToLower(q)) {
			return []auth.AuditLine{ticketLine}, nil
		}
		return nil, nil
	})
	c, err := console.New(console.Options{Accounts: e.store, Clock: e.clock, Logger: slog.New(slog.DiscardHandler),
		Sources: console.Sources{Users: e.store, Tokens: e.store,
			Audit: console.AuditLogs{console.AuditSearch(e.store.SearchAudit), tickets}}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(c)
	t.Cleanup(e.srv.Close)
	cl, _ := session(t, e, "root")
	resp, err := cl.Get(e.srv.URL + "/admin?q=intruder")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := html.UnescapeString(string(b))
	if resp.StatusCode != 200 {
		t.Fatalf("admin: %d", resp.StatusCode)
	}
	fail := strings.Index(page, `"kind":"login_failure"`)
	ack := strings.Index(page, `"note":"intruder seen"`)
	if fail < 0 || ack < 0 || ack > fail {
		t.Fatalf("want the ticket line, then the login failure of intruder from the table; at %d and %d in:\n%s", ack, fail, page)
	}
	if !strings.Contains(page, `"remote":"10.7.7.7"`) || strings.Contains(page, `"kind":"user_add"`) {
		t.Fatal("the search shows the wrong lines")
	}
}
