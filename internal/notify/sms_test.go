package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// gatewayReq is one request as the loopback SMS gateway saw it.
type gatewayReq struct {
	method, uri, contentType, apiKey, body string
}

// smsGateway is a loopback HTTP server standing in for the police SMS
// platform; codes are its answers in order (then 200).
func smsGateway(t *testing.T, codes ...int) (*httptest.Server, func() []gatewayReq) {
	t.Helper()
	var mu sync.Mutex
	var got []gatewayReq
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, gatewayReq{r.Method, r.RequestURI, r.Header.Get("Content-Type"), r.Header.Get("X-Api-Key"), string(b)})
		code := 200
		if len(codes) > 0 {
			code, codes = codes[0], codes[1:]
		}
		mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, `{"code":0}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []gatewayReq {
		mu.Lock()
		defer mu.Unlock()
		return append([]gatewayReq(nil), got...)
	}
}

func TestSMSGatewayRequests(t *testing.T) {
	t.Parallel()
	msg := Message{Event: EventNew, Title: `【新工单】#7 一号机房漏水 I级 "紧急"`, Body: "正文"}
	tests := []struct {
		name     string
		ch       func(base string) ChannelConfig
		codes    []int
		wantErr  string
		want     []gatewayReq
		attempts int
	}{{
		name: "POST JSON to two phones",
		ch: func(base string) ChannelConfig {
			return ChannelConfig{Name: "sms", Type: "sms", URL: base + "/api/sms/send?app=roomwatch",
				Headers: map[string]string{"X-Api-Key": "k-123"}, Phones: []string{"13800000001", "13800000002"},
				Body: `{"mobile":"{{.Phone}}","content":{{json .Text}}}`}
		},
		want: []gatewayReq{
			{"POST", "/api/sms/send?app=roomwatch", "application/json; charset=utf-8", "k-123",
				`{"mobile":"13800000001","content":"【新工单】#7 一号机房漏水 I级 \"紧急\""}`},
			{"POST", "/api/sms/send?app=roomwatch", "application/json; charset=utf-8", "k-123",
				`{"mobile":"13800000002","content":"【新工单】#7 一号机房漏水 I级 \"紧急\""}`},
		},
		attempts: 1,
	}, {
		name: "GET with the text in the query",
		ch: func(base string) ChannelConfig {
			return ChannelConfig{Name: "sms", Type: "sms", Method: "get", URL: base + "/send?to={{.Phone}}&msg={{urlquery .Text}}",
				Phones: []string{"13800000001"}}
		},
		want:     []gatewayReq{{"GET", "/send?to=13800000001&msg=%E3%80%90%E6%96%B0%E5%B7%A5%E5%8D%95%E3%80%91%237+%E4%B8%80%E5%8F%B7%E6%9C%BA%E6%88%BF%E6%BC%8F%E6%B0%B4+I%E7%BA%A7+%22%E7%B4%A7%E6%80%A5%22", "", "", ""}},
		attempts: 1,
	}, {
		name: "form body, 503 then retried",
		ch: func(base string) ChannelConfig {
			return ChannelConfig{Name: "sms", Type: "sms", URL: base + "/sms", Phones: []string{"13800000001"},
				Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
				Body:    `phone={{.Phone}}&text={{urlquery .Text}}`}
		},
		codes: []int{503},
		want: []gatewayReq{
			{"POST", "/sms", "application/x-www-form-urlencoded", "", "phone=13800000001&text=%E3%80%90%E6%96%B0%E5%B7%A5%E5%8D%95%E3%80%91%237+%E4%B8%80%E5%8F%B7%E6%9C%BA%E6%88%BF%E6%BC%8F%E6%B0%B4+I%E7%BA%A7+%22%E7%B4%A7%E6%80%A5%22"},
			{"POST", "/sms", "application/x-www-form-urlencoded", "", "phone=13800000001&text=%E3%80%90%E6%96%B0%E5%B7%A5%E5%8D%95%E3%80%91%237+%E4%B8%80%E5%8F%B7%E6%9C%BA%E6%88%BF%E6%BC%8F%E6%B0%B4+I%E7%BA%A7+%22%E7%B4%A7%E6%80%A5%22"},
		},
		attempts: 2,
	}, {
		name: "400 is permanent",
		ch: func(base string) ChannelConfig {
			return ChannelConfig{Name: "sms", Type: "sms", URL: base + "/sms", Phones: []string{"13800000001"}, Body: `{{json .Text}}`}
		},
		codes:    []int{400},
		wantErr:  "HTTP 400",
		want:     []gatewayReq{{"POST", "/sms", "application/json; charset=utf-8", "", `"【新工单】#7 一号机房漏水 I级 \"紧急\""`}},
		attempts: 1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, got := smsGateway(t, tc.codes...)
			rec := &recorder{}
			n := newNotifier(t, rec, nil, tc.ch(srv.URL))
			var attempts []Attempt
			err := n.Send(context.Background(), "sms", msg, func(a Attempt) { attempts = append(attempts, a) })
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if g := got(); len(g) != len(tc.want) {
				t.Fatalf("requests %+v, want %+v", g, tc.want)
			} else {
				for i := range g {
					if g[i] != tc.want[i] {
						t.Errorf("request %d:\n got %+v\nwant %+v", i, g[i], tc.want[i])
					}
				}
			}
			if len(attempts) != tc.attempts || attempts[len(attempts)-1].Type != "sms" {
				t.Errorf("attempts %+v, want %d", attempts, tc.attempts)
			}
		})
	}
}

func TestSMSConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ch   ChannelConfig
		want string
	}{
		{ChannelConfig{Name: "s", Type: "sms", URL: "http://127.0.0.1/x"}, "url and phones are required"},
		{ChannelConfig{Name: "s", Type: "sms", URL: "http://127.0.0.1/x", Phones: []string{"1"}, Method: "DELETE"}, `method "DELETE"`},
		{ChannelConfig{Name: "s", Type: "sms", URL: "http://127.0.0.1/x", Phones: []string{"1"}, Body: "{{.Phone"}, "body template"},
		{ChannelConfig{Name: "s", Type: "sms", URL: "http://127.0.0.1/{{.Nope", Phones: []string{"1"}}, "url template"},
	}
	for _, tc := range tests {
		err := (&Config{Channels: []ChannelConfig{tc.ch}}).Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.ch, err, tc.want)
		}
	}
}
