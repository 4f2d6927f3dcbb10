package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jonboulle/clockwork"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// postJSON posts body and returns the response body; non-2xx is an error,
// permanent for 4xx other than 408 and 429.
func postJSON(ctx context.Context, client *http.Client, u string, headers map[string]string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, &sendError{msg: "encode JSON: " + err.Error(), permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return nil, &sendError{msg: "bad URL: " + err.Error(), permanent: true}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "roomwatch-notify")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		perm := resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429
		return nil, &sendError{msg: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, snippet(rb)), permanent: perm}
	}
	return rb, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// robotAnswer is the WeCom/DingTalk reply; errcode 0 is success.
type robotAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func checkErrcode(b []byte) error {
	var a robotAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("answer is not JSON: %s", snippet(b))
	}
	if a.ErrCode == nil {
		return fmt.Errorf("answer has no errcode: %s", snippet(b))
	}
	if *a.ErrCode != 0 {
		return fmt.Errorf("errcode %d: %s", *a.ErrCode, a.ErrMsg)
	}
	return nil
}

// ---- generic webhook ----

type webhook struct {
	cfg    ChannelConfig
	client *http.Client
}

// WebhookPayload is the generic webhook's JSON body.
type WebhookPayload struct {
	Version string `json:"version"`
	Event   Event  `json:"event"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Data    *Data  `json:"data,omitempty"`
}

func (w *webhook) Name() string { return w.cfg.Name }
func (w *webhook) Type() string { return "webhook" }

func (w *webhook) Send(ctx context.Context, m Message) error {
	// The URL itself may carry a token: scrub the whole URL from errors.
	_, err := postJSON(ctx, w.client, w.cfg.URL, w.cfg.Headers, WebhookPayload{Version: "1", Event: m.Event, Title: m.Title, Text: m.Body, Data: m.Data})
	if err != nil {
		return scrub(IsPermanent(err), err, secretOf(w.cfg.URL))
	}
	return nil
}

// ---- WeCom group robot ----

type wecom struct {
	cfg    ChannelConfig
	client *http.Client
}

func (w *wecom) Name() string { return w.cfg.Name }
func (w *wecom) Type() string { return "wecom" }

func (w *wecom) url() string {
	base := w.cfg.URL
	if base == "" {
		base = "https://qyapi.weixin.qq.com"
	}
	return strings.TrimRight(base, "/") + "/cgi-bin/webhook/send?key=" + url.QueryEscape(w.cfg.Key.Reveal())
}

// WeComBody builds the WeCom robot JSON for a message. The message's
// recipients are mentioned by WeCom user id (else phone) instead of mobiles.
func WeComBody(msgtype string, m Message, mobiles []string) map[string]any {
	ids, mobiles := robotMentions(m.To, func(r Recipient) string { return r.WeComID }, mobiles)
	if msgtype == "text" {
		t := map[string]any{"content": m.Title + "\n" + m.Body}
		if len(ids) > 0 {
			t["mentioned_list"] = ids
		}
		if len(mobiles) > 0 {
			t["mentioned_mobile_list"] = mobiles
		}
		return map[string]any{"msgtype": "text", "text": t}
	}
	content := m.Body
	for _, id := range ids {
		content += "<@" + id + ">"
	}
	for _, mob := range mobiles {
		content += "<@" + mob + ">"
	}
	return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": content}}
}

func (w *wecom) Send(ctx context.Context, m Message) error {
	b, err := postJSON(ctx, w.client, w.url(), nil, WeComBody(w.cfg.MsgType, m, w.cfg.Mobiles))
	if err == nil {
		err = checkErrcode(b)
	}
	return scrub(IsPermanent(err), err, w.cfg.Key)
}

// ---- DingTalk robot ----

type dingtalk struct {
	cfg    ChannelConfig
	client *http.Client
	clock  clockwork.Clock
}

func (d *dingtalk) Name() string { return d.cfg.Name }
func (d *dingtalk) Type() string { return "dingtalk" }

// DingTalkSign returns urlencode(base64(HMAC-SHA256(secret, timestamp+"\n"+secret)))
// as the robot API expects in the sign parameter (already query-escaped).
func DingTalkSign(secret string, timestampMillis int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// DingTalkBody builds the DingTalk robot JSON for a message. The message's
// recipients are mentioned by DingTalk user id (atUserIds, else phone)
// instead of mobiles.
func DingTalkBody(msgtype string, m Message, mobiles []string) map[string]any {
	ids, mobiles := robotMentions(m.To, func(r Recipient) string { return r.DingTalkID }, mobiles)
	at := map[string]any{"atMobiles": mobiles, "isAtAll": false}
	if mobiles == nil {
		at["atMobiles"] = []string{}
	}
	if len(ids) > 0 {
		at["atUserIds"] = ids
	}
	if msgtype == "text" {
		return map[string]any{"msgtype": "text", "text": map[string]any{"content": m.Title + "\n" + m.Body}, "at": at}
	}
	text := m.Body
	for _, id := range ids {
		text += " @" + id
	}
	for _, mob := range mobiles {
		text += " @" + mob
	}
	return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": m.Title, "text": text}, "at": at}
}

func (d *dingtalk) Send(ctx context.Context, m Message) error {
	base := d.cfg.URL
	if base == "" {
		base = "https://oapi.dingtalk.com"
	}
	u := strings.TrimRight(base, "/") + "/robot/send?access_token=" + url.QueryEscape(d.cfg.AccessToken.Reveal())
	if d.cfg.Secret != "" {
		ts := d.clock.Now().UnixMilli()
		u += "&timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + DingTalkSign(d.cfg.Secret.Reveal(), ts)
	}
	b, err := postJSON(ctx, d.client, u, nil, DingTalkBody(d.cfg.MsgType, m, d.cfg.Mobiles))
	if err == nil {
		err = checkErrcode(b)
	}
	// scrub masks the sign (derived from the secret) along with the token.
	return scrub(IsPermanent(err), err, d.cfg.AccessToken, d.cfg.Secret)
}
