package i18n_test

import (
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/console/i18n"
)

// TestEveryKeyInEveryLanguage fails when a key is missing (or empty) in
// either language, or when the placeholders of a message differ.
func TestEveryKeyInEveryLanguage(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	for _, lang := range i18n.Langs() {
		for _, k := range c.Keys(lang) {
			all[k] = true
		}
	}
	if len(all) == 0 {
		t.Fatal("empty catalogue")
	}
	for k := range all {
		if !c.Has(k) {
			t.Errorf("key %q is missing in a language", k)
			continue
		}
		zh, en := c.T(i18n.ZhCN, k), c.T(i18n.En, k)
		if strings.TrimSpace(zh) == "" || strings.TrimSpace(en) == "" {
			t.Errorf("key %q is empty in a language", k)
		}
		if p, q := placeholders(zh), placeholders(en); p != q {
			t.Errorf("key %q: placeholders differ: zh-CN %s, en %s", k, p, q)
		}
	}
}

func placeholders(s string) string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		out = append(out, s[i:i+j+1])
		s = s[i+j+1:]
	}
	// order may differ between languages
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return strings.Join(out, ",")
}

func TestT(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("fr", "nav.desk"); got != "值班台" {
		t.Errorf("unknown language: %q, want the default's", got)
	}
	if got := c.T(i18n.En, "login.locked", "until", "09:15"); got != "Too many failed logins: this account is locked until 09:15." {
		t.Errorf("placeholder: %q", got)
	}
	if got := c.T(i18n.En, "no.such.key"); got != "!no.such.key!" {
		t.Errorf("missing key: %q", got)
	}
}
