// Package i18n is the console's one message catalogue: every string on
// screen is looked up here by key, in zh-CN (the default) or en. The message
// files are JSON objects in messages/, embedded; placeholders are written
// {name} and filled from name/value pairs. A test fails when a key is missing
// in either language (and the console's tests fail when a template uses a key
// the catalogue lacks).
//
// A language's messages may be split by area: messages/zh-CN.json holds the
// common ones and messages/AREA.zh-CN.json (tickets, inspections…) those of
// one area. A key defined in two files of one language is an error.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Languages.
const (
	ZhCN    = "zh-CN"
	En      = "en"
	Default = ZhCN
)

// Langs lists the languages, default first.
func Langs() []string { return []string{ZhCN, En} }

//go:embed messages/*.json
var files embed.FS

// Catalogue holds the messages of every language.
type Catalogue struct {
	msgs map[string]map[string]string // lang -> key -> text
}

// Load reads the embedded message files.
func Load() (*Catalogue, error) {
	c := &Catalogue{msgs: map[string]map[string]string{}}
	for _, lang := range Langs() {
		names, err := fs.Glob(files, "messages/*"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		m := map[string]string{}
		from := map[string]string{}
		for _, name := range names {
			if base := strings.TrimPrefix(name, "messages/"); base != lang+".json" && !strings.HasSuffix(base, "."+lang+".json") {
				continue // en.json must not match messages/*en.json of another language
			}
			b, err := files.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			for k, v := range part {
				if prev, dup := from[k]; dup {
					return nil, fmt.Errorf("i18n: key %q is in both %s and %s", k, prev, name)
				}
				m[k], from[k] = v, name
			}
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("i18n: no messages for %s", lang)
		}
		c.msgs[lang] = m
	}
	return c, nil
}

// Has reports whether key exists in every language.
func (c *Catalogue) Has(key string) bool {
	for _, lang := range Langs() {
		if _, ok := c.msgs[lang][key]; !ok {
			return false
		}
	}
	return true
}

// Keys returns the keys of lang, sorted.
func (c *Catalogue) Keys(lang string) []string {
	out := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lang returns lang when the catalogue has it, else Default.
func (c *Catalogue) Lang(lang string) string {
	if _, ok := c.msgs[lang]; ok {
		return lang
	}
	return Default
}

// T returns the text of key in lang with {name} placeholders replaced by
// the name/value pairs in kv. A missing key yields "!key!" (tests make sure
// none is missing).
func (c *Catalogue) T(lang, key string, kv ...string) string {
	s, ok := c.msgs[c.Lang(lang)][key]
	if !ok {
		return "!" + key + "!"
	}
	if len(kv) >= 2 {
		pairs := make([]string, 0, len(kv))
		for i := 0; i+1 < len(kv); i += 2 {
			pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
		}
		s = strings.NewReplacer(pairs...).Replace(s)
	}
	return s
}
