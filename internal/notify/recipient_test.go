package notify

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// zhang is the engineer on duty as the roster resolves him.
var zhang = Recipient{User: "zhangsan", Name: "张三", Phone: "13900000009", Email: "zhangsan@ops.example.org",
	WeComID: "ZhangSan", DingTalkID: "ding-zs"}

// TestRecipientsSMS: the gateway gets the recipients' phones instead of the
// configured ones; a recipient without a phone leaves the configured ones.
func TestRecipientsSMS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		to   []Recipient
		want []string // phones in the requests, in order
	}{
		{"no recipient: configured phones", nil, []string{"13800000001"}},
		{"the person on duty", []Recipient{zhang}, []string{"13900000009"}},
		{"two people", []Recipient{zhang, {User: "lisi", Phone: "13900000010"}}, []string{"13900000009", "13900000010"}},
		{"no phone: configured phones", []Recipient{{User: "wangwu", Email: "w@x"}}, []string{"13800000001"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, got := smsGateway(t)
			rec := &recorder{}
			n := newNotifier(t, rec, nil, ChannelConfig{Name: "sms", Type: "sms", URL: srv.URL + "/sms",
				Phones: []string{"13800000001"}, Body: `{"mobile":"{{.Phone}}","content":{{json .Text}}}`})
			d := sampleData()
			d.To = tc.to
			if err := n.Notify(context.Background(), EventNew, d, []string{"sms"}, rec.report); err != nil {
				t.Fatal(err)
			}
			m, _ := DefaultTemplates().Render(EventNew, d)
			var want []gatewayReq
			for _, p := range tc.want {
				want = append(want, gatewayReq{"POST", "/sms", "application/json; charset=utf-8", "",
					`{"mobile":"` + p + `","content":` + mustJSON(t, m.Title) + `}`})
			}
			if g := got(); !reflect.DeepEqual(g, want) {
				t.Errorf("requests\n got %+v\nwant %+v", g, want)
			}
		})
	}
}

func mustJSON(t *testing.T, s string) string {
	t.Helper()
	out, err := smsFuncs["json"].(func(string) (string, error))(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRecipientsRobots: the group robots mention the person by user id
// (else by phone) instead of the configured mobiles.
func TestRecipientsRobots(t *testing.T) {
	t.Parallel()
	noID := Recipient{User: "lisi", Phone: "13900000010"}
	tests := []struct {
		name, typ, msgtype string
		to                 []Recipient
		want               func(m Message) map[string]any
	}{
		{"wecom markdown, user id", "wecom", "", []Recipient{zhang}, func(m Message) map[string]any {
			return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": m.Body + "<@ZhangSan>"}}
		}},
		{"wecom text, id and phone", "wecom", "text", []Recipient{zhang, noID}, func(m Message) map[string]any {
			return map[string]any{"msgtype": "text", "text": map[string]any{"content": m.Title + "\n" + m.Body,
				"mentioned_list": []any{"ZhangSan"}, "mentioned_mobile_list": []any{"13900000010"}}}
		}},
		{"wecom without recipients: configured mobiles", "wecom", "", nil, func(m Message) map[string]any {
			return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": m.Body + "<@13800000000>"}}
		}},
		{"dingtalk markdown, user id", "dingtalk", "", []Recipient{zhang}, func(m Message) map[string]any {
			return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": m.Title, "text": m.Body + " @ding-zs"},
				"at": map[string]any{"atMobiles": []any{}, "atUserIds": []any{"ding-zs"}, "isAtAll": false}}
		}},
		{"dingtalk text, phone only", "dingtalk", "text", []Recipient{noID}, func(m Message) map[string]any {
			return map[string]any{"msgtype": "text", "text": map[string]any{"content": m.Title + "\n" + m.Body},
				"at": map[string]any{"atMobiles": []any{"13900000010"}, "isAtAll": false}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rb := newRobot(t, func(*http.Request) string { return "" }, answer(200, `{"errcode":0,"errmsg":"ok"}`))
			rec := &recorder{}
			cc := ChannelConfig{Name: "robot", Type: tc.typ, URL: rb.srv.URL, MsgType: tc.msgtype, Mobiles: []string{"13800000000"}}
			if tc.typ == "wecom" {
				cc.Key = wecomKey
			} else {
				cc.AccessToken = dingToken
			}
			n := newNotifier(t, rec, nil, cc)
			d := sampleData()
			d.To = tc.to
			if err := n.Notify(context.Background(), EventNew, d, nil, rec.report); err != nil {
				t.Fatal(err)
			}
			rb.verify(t)
			m, _ := DefaultTemplates().Render(EventNew, d)
			if len(rb.bodies) != 1 || !reflect.DeepEqual(rb.bodies[0], tc.want(m)) {
				t.Errorf("body\n got %#v\nwant %#v", rb.bodies, tc.want(m))
			}
		})
	}
}

// TestRecipientsEmail: the mail goes to the person's address instead of
// the configured ones, on the envelope and in the To header.
func TestRecipientsEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		to       []Recipient
		wantRcpt string
	}{
		{"the person on duty", []Recipient{zhang}, "RCPT TO:<zhangsan@ops.example.org>"},
		{"no e-mail: configured", []Recipient{{User: "lisi", Phone: "1"}}, "RCPT TO:<duty@ops.example.org>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTP(t, nil)
			rec := &recorder{}
			n := newNotifier(t, rec, nil, ChannelConfig{Name: "mail", Type: "email", Server: srv.ln.Addr().String(),
				From: "roomwatch@ops.example.org", To: []string{"duty@ops.example.org"}})
			d := sampleData()
			d.To = tc.to
			if err := n.Notify(context.Background(), EventNew, d, nil, rec.report); err != nil {
				t.Fatal(err)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			var rcpts []string
			for _, c := range srv.commands {
				if strings.HasPrefix(c, "RCPT") {
					rcpts = append(rcpts, c)
				}
			}
			if len(rcpts) != 1 || rcpts[0] != tc.wantRcpt {
				t.Errorf("RCPT = %q, want %q", rcpts, tc.wantRcpt)
			}
			wantHdr := "To: " + strings.TrimPrefix(tc.wantRcpt, "RCPT TO:")
			if !strings.Contains(srv.data, wantHdr) {
				t.Errorf("mail lacks %q:\n%s", wantHdr, srv.data)
			}
		})
	}
}
