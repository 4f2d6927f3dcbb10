package console

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console/i18n"
)

// templateKeys returns the literal keys passed to t and tv in the templates.
func templateKeys(t *testing.T, p *pages) map[string]bool {
	keys := map[string]bool{}
	var walk func(n parse.Node)
	walkPipe := func(pn *parse.PipeNode) {
		if pn == nil {
			return
		}
		for _, cmd := range pn.Cmds {
			if len(cmd.Args) >= 2 {
				if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "tv") {
					if s, ok := cmd.Args[1].(*parse.StringNode); ok {
						keys[s.Text] = true
					}
				}
			}
			for _, a := range cmd.Args {
				walk(a)
			}
		}
	}
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walkPipe(n.Pipe)
		case *parse.PipeNode:
			walkPipe(n)
		case *parse.IfNode:
			walkPipe(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walkPipe(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walkPipe(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walkPipe(n.Pipe)
		}
	}
	for _, set := range p.set {
		for _, tm := range set.Templates() {
			if tm.Tree != nil {
				walk(tm.Tree.Root)
			}
		}
	}
	if len(keys) < 10 {
		t.Fatalf("found only %d keys in the templates: the walker is broken", len(keys))
	}
	return keys
}

var keyLike = regexp.MustCompile(`^(app|lang|nav|role|login|password|home|error)\.[a-z_.]+$`)

// codeKeys returns the key-like string literals of the package's Go files.
func codeKeys(t *testing.T) map[string]bool {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
				if s, err := strconv.Unquote(bl.Value); err == nil && keyLike.MatchString(s) {
					keys[s] = true
				}
			}
			return true
		})
	}
	return keys
}

// TestKeysExist fails when a template or the Go code uses a key missing from
// the catalogue (in either language).
func TestKeysExist(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := loadStatic()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePages(cat, st)
	if err != nil {
		t.Fatal(err)
	}
	keys := templateKeys(t, p)
	for k := range codeKeys(t) {
		keys[k] = true
	}
	// Keys built at run time.
	for r := auth.RoleViewer; r <= auth.RoleAdmin; r++ {
		keys["role."+r.String()] = true
	}
	for _, n := range navigation(auth.RoleAdmin, "/") {
		keys[n.Key] = true
	}
	for _, reason := range []string{accounts.ReasonTooShort, accounts.ReasonTooLong, accounts.ReasonFewClasses, accounts.ReasonContainsName, accounts.ReasonSameAsOld} {
		keys["password."+reason] = true
	}
	for k := range keys {
		if !cat.Has(k) {
			t.Errorf("key %q is used but missing from the catalogue", k)
		}
	}
	if !keys["login.locked"] || !keys["nav.admin"] || !keys["home.coming"] {
		t.Errorf("key collection incomplete: %d keys", len(keys))
	}
}
