package notify

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/config"
)

func TestConfigDecode(t *testing.T) {
	t.Parallel()
	in := `
templates: ""
retry: {attempts: 5, backoff: 2s, max_backoff: 1m}
channels:
  - {name: wx, type: wecom, url: "http://proxy", key: robot-key-123, msgtype: text}
  - {name: dd, type: dingtalk, access_token: tok-456, secret: SECabc}
  - name: mail
    type: email
    server: "127.0.0.1:25"
    from: rw@example.org
    to: [a@example.org]
    password: pw-789
`
	var c Config
	if err := config.Decode("n.yml", []byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.Retry.Attempts != 5 || c.Retry.Backoff.Std() != 2*time.Second || len(c.Channels) != 3 || c.Channels[0].Key.Reveal() != "robot-key-123" {
		t.Errorf("decoded %+v", c)
	}
	// Printing the config (as a debug log might) shows no secret.
	s := fmt.Sprintf("%+v %v %#v", c, c, c)
	for _, sec := range []string{"robot-key-123", "tok-456", "SECabc", "pw-789"} {
		if strings.Contains(s, sec) {
			t.Errorf("secret %s printed: %s", sec, s)
		}
	}
	bad := "channels:\n  - {name: wx, type: wecom, key: k, kye: x}\n"
	if err := config.Decode("n.yml", []byte(bad), &c); err == nil || !strings.Contains(err.Error(), "n.yml:2: field kye not found") {
		t.Errorf("unknown key: %v", err)
	}
	bad = "channels:\n  - {name: wx, type: wechat}\n"
	if err := config.Decode("n.yml", []byte(bad), &Config{}); err == nil || !strings.Contains(err.Error(), `type "wechat"`) {
		t.Errorf("bad type: %v", err)
	}
}
