package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestComplaintPages: a customer files a complaint about a ticket of its
// site (投诉), attributed to the logged-in person; it shows on the
// complaints page and on the ticket; another customer sees neither it nor
// the ticket; the duty operator files one too; only a manager answers and
// closes.
func TestComplaintPages(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	const site = "城关派出所"
	jia := e.user(t, "jia", auth.RoleCustomer, site)
	yi := e.user(t, "yi", auth.RoleCustomer, "乙所")
	duty := e.user(t, "duty", auth.RoleViewer)
	zhang := e.user(t, "zhang", auth.RoleEngineer)
	boss := e.user(t, "boss", auth.RoleManager)
	tk := e.create(t, tickets.Manual{Title: "视频会议无声音", Level: 3, Site: site})
	other := e.create(t, tickets.Manual{Title: "乙所打印机", Level: 4, Site: "乙所"})
	base := e.srv.URL
	steps := []struct {
		name string
		c    *http.Client
		to   string
		form url.Values
		code int
		body string
	}{
		{"customer files about its ticket", jia, "/complaints", url.Values{"text": {"工程师到场太慢"}, "contact": {"张科 138"}, "ticket": {itoa(tk.ID)}}, http.StatusSeeOther, ""},
		{"customer may not complain about another site's ticket", jia, "/complaints", url.Values{"text": {"x"}, "ticket": {itoa(other.ID)}}, http.StatusUnprocessableEntity, "无权查看"},
		{"no text", jia, "/complaints", url.Values{"text": {" "}}, http.StatusUnprocessableEntity, "请填写投诉内容"},
		{"duty operator files", duty, "/complaints", url.Values{"text": {"值班电话占线"}}, http.StatusSeeOther, ""},
		{"engineer may not answer", zhang, "/complaints/1/answer", url.Values{"reply": {"x"}}, http.StatusForbidden, ""},
		{"customer may not answer", jia, "/complaints/1/answer", url.Values{"reply": {"x"}}, http.StatusForbidden, ""},
		{"close before the answer", boss, "/complaints/1/close", url.Values{}, http.StatusUnprocessableEntity, "not answered"},
		{"manager answers", boss, "/complaints/1/answer", url.Values{"reply": {"已约谈工程师，今后准时到场"}}, http.StatusSeeOther, ""},
		{"manager closes", boss, "/complaints/1/close", url.Values{}, http.StatusSeeOther, ""},
	}
	for _, st := range steps {
		resp, body := csrfPost(t, st.c, base, "/complaints", st.to, st.form)
		if resp.StatusCode != st.code || !strings.Contains(body, st.body) {
			t.Errorf("%s: %s, want %d with %q\n%.400s", st.name, resp.Status, st.code, st.body, body)
		}
	}
	cs, err := e.tk.Service.Complaints(ctx, tickets.ComplaintFilter{})
	if err != nil || len(cs) != 2 {
		t.Fatalf("complaints %+v %v", cs, err)
	}
	first := cs[1]
	if first.FiledBy != "jia" || first.TicketID != tk.ID || first.RepliedBy != "boss" || first.ClosedBy != "boss" || first.Contact != "张科 138" {
		t.Errorf("complaint 1: %+v", first)
	}
	pages := []struct {
		name   string
		c      *http.Client
		path   string
		want   []string
		absent []string
	}{
		{"customer's list: its own only", jia, "/complaints", []string{"工程师到场太慢", "已约谈工程师", "已关闭"}, []string{"值班电话占线"}},
		{"other customer's list: nothing", yi, "/complaints", []string{"暂无投诉"}, []string{"工程师到场太慢"}},
		{"manager's list: all, answer forms", boss, "/complaints", []string{"工程师到场太慢", "值班电话占线", "complaint-answer"}, nil},
		{"the ticket shows it", boss, "/tickets/" + itoa(tk.ID), []string{`id="complaints"`, "工程师到场太慢", "已约谈工程师"}, nil},
		{"the customer's ticket shows it", jia, "/tickets/" + itoa(tk.ID), []string{"工程师到场太慢"}, nil},
		{"duty operator's list has no answer form", duty, "/complaints", []string{"值班电话占线"}, []string{"complaint-answer"}},
	}
	for _, p := range pages {
		resp, body := get(t, p.c, base+p.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", p.name, resp.Status)
			continue
		}
		for _, w := range p.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", p.name, w)
			}
		}
		for _, a := range p.absent {
			if strings.Contains(body, a) {
				t.Errorf("%s: page shows %q", p.name, a)
			}
		}
	}
	// The other customer cannot open the ticket either.
	if resp, _ := get(t, yi, base+"/tickets/"+itoa(tk.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other customer's view of the ticket: %s, want 404", resp.Status)
	}
}
