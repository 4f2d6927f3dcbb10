package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestBrowserComplaintAndRejection: in Chromium, the customer of a site
// rejects a fix on the ticket page (用户驳回: the ticket reopens, attributed
// to the customer), then follows the ticket's 投诉 link and files a
// complaint about it, which the complaints page lists.
func TestBrowserComplaintAndRejection(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	const site = "城关派出所"
	e.user(t, "jia", auth.RoleCustomer, site)
	tk := e.create(t, tickets.Manual{Title: "视频会议无图像", Level: 3, Site: site})
	for _, r := range []tickets.ActionRequest{{Action: tickets.ActionOnSite}, {Action: tickets.ActionResolve, Cause: "线缆松动", Fix: "重新插紧"}} {
		r.Actor = "zhang"
		if _, err := e.tk.Service.Do(ctx, tk.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	b := chrome.New(t, browsertest.Options{})
	login(b, e.srv.URL, "jia", "Changed-Pass-2024")
	b.Navigate(e.srv.URL + "/tickets/" + itoa(tk.ID))
	b.Type(".action-reject textarea[name=note]", "仍然没有图像")
	b.ClickAndWait(".action-reject button[type=submit]")
	if got := b.Text("#ticket-state"); !strings.Contains(got, "重新打开") {
		t.Errorf("after the rejection the state reads %q", got)
	}
	got, err := e.tk.Service.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev := got.Events[len(got.Events)-1]; ev.Kind != "reject" || ev.Actor != "jia" || ev.Note != "仍然没有图像" {
		t.Errorf("last event %+v, want jia's rejection", ev)
	}
	b.ClickAndWait("#complain-link")
	if v := browsertest.Eval[string](b, `document.querySelector("#c-ticket").value`); v != itoa(tk.ID) {
		t.Errorf("the form's ticket is %q, want %d", v, tk.ID)
	}
	b.Type("#c-text", "修了两次还没好")
	b.Type("#c-contact", "张科 13800000000")
	b.ClickAndWait("#complaint-form button[type=submit]")
	if got := b.Text(".complaint-list"); !strings.Contains(got, "修了两次还没好") || !strings.Contains(got, "待答复") {
		t.Errorf("complaints page lists %q", got)
	}
	cs, err := e.tk.Service.Complaints(ctx, tickets.ComplaintFilter{TicketID: tk.ID})
	if err != nil || len(cs) != 1 || cs[0].FiledBy != "jia" || cs[0].Contact != "张科 13800000000" {
		t.Errorf("complaints %+v %v", cs, err)
	}
	b.Check()
}
