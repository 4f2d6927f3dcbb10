package cli

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestComplaintsAndRepairCLI: the complaint verbs (complain, complaints,
// answer, close-complaint) and the repair verbs (repair_out, repair_back,
// repair_report) against the real API; the complainant and the one
// answering are the tokens' owners.
func TestComplaintsAndRepairCLI(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	a, err := auth.New(auth.Config{Tokens: []auth.Token{
		{Name: "甲方张科", Token: "cust-token-123456", Role: auth.RoleCustomer},
		{Name: "zhang", Token: cliEngineerTok, Role: auth.RoleEngineer},
		{Name: "王经理", Token: "manager-token-123456", Role: auth.RoleManager},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.NewHandler(api.Options{Service: env.Service, Auth: a, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	seedTickets(t, env)
	as := func(tok string) []string { return []string{"--url", srv.URL, "--token", tok} }
	steps := []struct {
		name string
		args []string
		tok  string
		code int
		want []string // in stdout (stderr when code != 0)
	}{
		{"customer complains", []string{"complain", "--text", "到场太慢", "--contact", "138", "--ticket", "1"}, "cust-token-123456", 0,
			[]string{"投诉 #1 待答复 open", "甲方张科", "工单/ticket #1", "到场太慢"}},
		{"complain without text", []string{"complain"}, "cust-token-123456", 2, []string{"--text is required"}},
		{"engineer may not answer", []string{"answer", "1", "--reply", "x"}, cliEngineerTok, 1, []string{"403"}},
		{"manager answers", []string{"answer", "1", "--reply", "已约谈工程师"}, "manager-token-123456", 0,
			[]string{"已答复 answered", "答复/reply", "王经理: 已约谈工程师"}},
		{"manager closes", []string{"close-complaint", "1"}, "manager-token-123456", 0, []string{"已关闭 closed"}},
		{"customer lists its own", []string{"complaints"}, "cust-token-123456", 0, []string{"投诉 #1"}},
		{"answer needs an id", []string{"answer", "--reply", "x"}, "manager-token-123456", 2, []string{"want one complaint ID"}},
		{"repair_out local", []string{"repair_out", "2", "--kind", "local", "--part", "电源模块", "--serial", "PSU-1"}, cliEngineerTok, 0,
			[]string{"repair_out"}},
		{"repair_out while away", []string{"repair_out", "2", "--kind", "factory", "--part", "硬盘"}, cliEngineerTok, 1, []string{"409", "still away"}},
		{"repair_out bad kind", []string{"repair_out", "3", "--kind", "abroad", "--part", "硬盘"}, cliEngineerTok, 1, []string{"400", "local"}},
		{"repair_back", []string{"repair_back", "2"}, cliEngineerTok, 0, []string{"repair_back"}},
		{"repair_report needs a note", []string{"repair_report", "2"}, cliEngineerTok, 1, []string{"400"}},
	}
	for _, st := range steps {
		env.Clock.Advance(time.Minute)
		code, out, errs := run(t, append(append([]string{"tickets"}, st.args...), as(st.tok)...)...)
		got := out
		if st.code != 0 {
			got = errs
		}
		if code != st.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", st.name, code, st.code, out, errs)
			continue
		}
		for _, w := range st.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: output lacks %q:\n%s", st.name, w, got)
			}
		}
	}
	tk, err := env.Service.Get(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Parts) != 1 || tk.Parts[0].RepairKind != "local" || tk.Parts[0].RepairBack == nil {
		t.Errorf("ticket 2 parts after repair_out/back: %+v", tk.Parts)
	}
}
