package catalog

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// metricNameRE matches the names roomwatch produces (its own and
// node_exporter's), used to recognise name constants.
var metricNameRE = regexp.MustCompile(`^(roomwatch|node)_[a-zA-Z0-9_]*[a-zA-Z0-9]$`)

// goFinding is one metric name found in Go source.
type goFinding struct {
	Name, Type, Help string
	Labels           []string
	Pos              string // file:line relative to the repository
	// Sample is true for probe samples (probe.Result.Add), which the
	// exposition labels with the device identity.
	Sample bool
	// Const is true for a bare name constant (weaker evidence: no help or
	// type from an emission site).
	Const bool
}

// scanGoDir reads the non-test Go files of one package directory and returns
// the metric names it defines or emits. rel is dir relative to the
// repository, used in positions.
func scanGoDir(dir, rel string) ([]goFinding, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		if f.Name.Name == "main" {
			return nil, nil // benchmarks and tools: not part of what roomwatch exposes
		}
		files = append(files, f)
	}
	s := &scanner{fset: fset, rel: rel, consts: map[string]string{}, constDoc: map[string]string{}, constPos: map[string]token.Pos{}}
	for _, f := range files {
		s.collectConsts(f)
	}
	for _, f := range files {
		s.file = f
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			s.fn = fd
			ast.Inspect(fd.Body, s.visit)
		}
	}
	seen := map[string]bool{}
	for _, f := range s.out {
		seen[f.Name] = true
	}
	var names []string
	for n := range s.consts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, id := range names {
		v := s.consts[id]
		if metricNameRE.MatchString(v) && !seen[v] {
			seen[v] = true
			s.out = append(s.out, goFinding{Name: v, Type: inferType(v), Help: s.constDoc[id], Pos: s.pos(s.constPos[id]), Const: true})
		}
	}
	return s.out, nil
}

type scanner struct {
	fset     *token.FileSet
	rel      string
	file     *ast.File
	fn       *ast.FuncDecl
	consts   map[string]string // package-level string constants
	constDoc map[string]string
	constPos map[string]token.Pos
	out      []goFinding
}

func (s *scanner) pos(p token.Pos) string {
	ps := s.fset.Position(p)
	return filepath.ToSlash(filepath.Join(s.rel, filepath.Base(ps.Filename))) + ":" + strconv.Itoa(ps.Line)
}

func (s *scanner) collectConsts(f *ast.File) {
	// Two passes so that constants built from other constants resolve.
	for pass := 0; pass < 2; pass++ {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if v, ok := s.str(vs.Values[i]); ok {
						s.consts[n.Name] = v
						s.constPos[n.Name] = n.Pos()
						doc := vs.Doc
						if doc == nil && len(gd.Specs) == 1 {
							doc = gd.Doc
						}
						if doc != nil {
							s.constDoc[n.Name] = strings.Join(strings.Fields(doc.Text()), " ")
						} else if vs.Comment != nil {
							s.constDoc[n.Name] = strings.Join(strings.Fields(vs.Comment.Text()), " ")
						}
					}
				}
			}
		}
	}
}

// str resolves a constant string expression: literals, package constants
// and their concatenation.
func (s *scanner) str(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(x.Value)
		return v, err == nil
	case *ast.Ident:
		v, ok := s.consts[x.Name]
		return v, ok
	case *ast.ParenExpr:
		return s.str(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := s.str(x.X)
		b, ok2 := s.str(x.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

func selName(e ast.Expr) (pkg, name string) {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name, x.Sel.Name
		}
		return "", x.Sel.Name
	case *ast.Ident:
		return "", x.Name
	}
	return "", ""
}

var probeTypes = map[string]string{"Gauge": "gauge", "Counter": "counter", "Info": "info"}

var valueTypes = map[string]string{"GaugeValue": "gauge", "CounterValue": "counter", "UntypedValue": "untyped"}

var optsTypes = map[string]string{"GaugeOpts": "gauge", "CounterOpts": "counter", "HistogramOpts": "histogram", "SummaryOpts": "summary"}

func (s *scanner) visit(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.CallExpr:
		s.call(x)
	case *ast.CompositeLit:
		if pkg, t := selName(x.Type); pkg == "prometheus" && optsTypes[t] != "" {
			s.opts(x, optsTypes[t], nil)
		} else {
			s.sampleLit(x)
		}
	}
	return true
}

func (s *scanner) call(c *ast.CallExpr) {
	pkg, fn := selName(c.Fun)
	switch {
	case (fn == "Add" || fn == "add") && len(c.Args) == 5 && probeTypes[lastName(c.Args[1])] != "":
		// probe.Result.Add(name, probe.Type, value, help, labels), and the
		// series builder's add with the same arguments (probe/series.go)
		if _, t := selName(c.Args[1]); probeTypes[t] != "" {
			name, ok := s.str(c.Args[0])
			if !ok {
				return
			}
			typ := probeTypes[t]
			if typ == "info" && !strings.HasSuffix(name, "_info") {
				name += "_info"
			}
			help, _ := s.str(c.Args[3])
			s.out = append(s.out, goFinding{Name: name, Type: typ, Help: help, Labels: s.labelKeys(c.Args[4], 0), Pos: s.pos(c.Pos()), Sample: true})
		}
	case fn == "add" && len(c.Args) == 5:
		// exposition's collection.add(name, help, prometheus.ValueType, value, labels)
		if _, t := selName(c.Args[2]); valueTypes[t] != "" {
			name, ok := s.str(c.Args[0])
			if !ok {
				return
			}
			help, _ := s.str(c.Args[1])
			typ := valueTypes[t]
			if strings.HasSuffix(name, "_info") {
				typ = "info"
			}
			s.out = append(s.out, goFinding{Name: name, Type: typ, Help: help, Labels: s.labelKeys(c.Args[4], 0), Pos: s.pos(c.Pos()), Sample: true})
		}
	case pkg == "prometheus" && fn == "NewDesc" && len(c.Args) >= 3:
		name, ok := s.str(c.Args[0])
		if !ok {
			return
		}
		help, _ := s.str(c.Args[1])
		s.out = append(s.out, goFinding{Name: name, Type: inferType(name), Help: help, Labels: s.stringList(c.Args[2]), Pos: s.pos(c.Pos())})
	case pkg == "prometheus" && strings.HasPrefix(fn, "New") && strings.HasSuffix(fn, "Vec") && len(c.Args) == 2:
		if cl, ok := c.Args[0].(*ast.CompositeLit); ok {
			if _, t := selName(cl.Type); optsTypes[t] != "" {
				s.opts(cl, optsTypes[t], s.stringList(c.Args[1]))
			}
		}
	case pkg == "buildinfo" && fn == "NewCollector" && len(c.Args) == 1:
		if p, ok := s.str(c.Args[0]); ok {
			s.out = append(s.out, goFinding{Name: p + "_build_info", Type: "info",
				Help:   "A metric with a constant '1' value labelled by version, revision and Go version from which " + p + " was built.",
				Labels: []string{"goversion", "revision", "version"}, Pos: s.pos(c.Pos())})
		}
	default:
		// A local helper wrapping NewDesc, such as desc(name, help, labels...).
		if pkg == "" && (fn == "desc" || fn == "newDesc") && len(c.Args) >= 2 {
			name, ok := s.str(c.Args[0])
			if !ok || !metricNameRE.MatchString(name) {
				return
			}
			help, _ := s.str(c.Args[1])
			var labels []string
			for _, a := range c.Args[2:] {
				if v, ok := s.str(a); ok {
					labels = append(labels, v)
				}
			}
			s.out = append(s.out, goFinding{Name: name, Type: inferType(name), Help: help, Labels: labels, Pos: s.pos(c.Pos())})
		}
	}
}

// sampleLit records a probe.Sample literal ({Name: …, Type: probe.Gauge, …}),
// the element type often elided inside a []probe.Sample.
func (s *scanner) sampleLit(cl *ast.CompositeLit) {
	var name, help, typ string
	var labels []string
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return
		}
		_, k := selName(kv.Key)
		switch k {
		case "Name":
			name, _ = s.str(kv.Value)
		case "Help":
			help, _ = s.str(kv.Value)
		case "Type":
			if pkg, t := selName(kv.Value); pkg == "probe" {
				typ = probeTypes[t]
			}
		case "Labels":
			labels = s.labelKeys(kv.Value, 0)
		}
	}
	if name == "" || typ == "" {
		return
	}
	if typ == "info" && !strings.HasSuffix(name, "_info") {
		name += "_info"
	}
	s.out = append(s.out, goFinding{Name: name, Type: typ, Help: help, Labels: labels, Pos: s.pos(cl.Pos()), Sample: true})
}

// opts records a prometheus.*Opts literal; a duplicate from the same
// position (the literal inside a New*Vec call) merges in the catalogue.
func (s *scanner) opts(cl *ast.CompositeLit, typ string, labels []string) {
	var ns, sub, name, help string
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		_, k := selName(kv.Key)
		v, ok := s.str(kv.Value)
		if !ok {
			v = ""
		}
		switch k {
		case "Namespace":
			ns = v
		case "Subsystem":
			sub = v
		case "Name":
			name = v
		case "Help":
			help = v
		}
	}
	if name == "" {
		return
	}
	full := name
	if sub != "" {
		full = sub + "_" + full
	}
	if ns != "" {
		full = ns + "_" + full
	}
	s.out = append(s.out, goFinding{Name: full, Type: typ, Help: help, Labels: labels, Pos: s.pos(cl.Pos())})
}

func (s *scanner) stringList(e ast.Expr) []string {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	var out []string
	for _, el := range cl.Elts {
		if v, ok := s.str(el); ok {
			out = append(out, v)
		}
	}
	return out
}

// labelKeys returns the label names a labels expression can hold: keys of a
// map literal, of the with(m, k, v, …) helper, or of what a local variable
// is assigned or indexed with in the enclosing function.
func (s *scanner) labelKeys(e ast.Expr, depth int) []string {
	if depth > 4 {
		return nil
	}
	switch x := e.(type) {
	case *ast.CompositeLit:
		var out []string
		for _, el := range x.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if k, ok := s.str(kv.Key); ok {
					out = append(out, k)
				} else if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Name" && lastName(x.Type) == "Label" {
					// labelset.Label{Name: "probe", Value: …}
					if v, ok := s.str(kv.Value); ok {
						out = append(out, v)
					}
				}
			}
		}
		return out
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "append" {
			// append(labels, labelset.Label{Name: "probe", …}, …)
			var out []string
			for _, a := range x.Args {
				out = append(out, s.labelKeys(a, depth+1)...)
			}
			return out
		}
		if id, ok := x.Fun.(*ast.Ident); ok {
			// a local closure returning labels: pl := func() … { return … }
			return s.closureLabels(id, depth+1)
		}
		if _, fn := selName(x.Fun); fn == "with" && len(x.Args) >= 1 {
			out := s.labelKeys(x.Args[0], depth+1)
			for i := 1; i < len(x.Args); i += 2 {
				if k, ok := s.str(x.Args[i]); ok {
					out = append(out, k)
				}
			}
			return out
		}
	case *ast.Ident:
		var out []string
		ast.Inspect(s.fn.Body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for i, l := range as.Lhs {
				switch lx := l.(type) {
				case *ast.Ident:
					if lx.Name == x.Name && len(as.Rhs) == len(as.Lhs) && lx.Pos() != x.Pos() {
						out = append(out, s.labelKeys(as.Rhs[i], depth+1)...)
					}
				case *ast.IndexExpr:
					if id, ok := lx.X.(*ast.Ident); ok && id.Name == x.Name {
						if k, ok := s.str(lx.Index); ok {
							out = append(out, k)
						}
					}
				}
			}
			return true
		})
		return out
	}
	return nil
}

// lastName is the name of an identifier or the selected name of a selector
// (probe.Gauge → Gauge), else "".
func lastName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	}
	return ""
}

// closureLabels returns the label names a local closure assigned to id in
// the enclosing function returns.
func (s *scanner) closureLabels(id *ast.Ident, depth int) []string {
	if s.fn == nil || depth > 4 {
		return nil
	}
	var out []string
	ast.Inspect(s.fn.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			return true
		}
		for i, l := range as.Lhs {
			lx, ok := l.(*ast.Ident)
			fl, isFn := as.Rhs[i].(*ast.FuncLit)
			if !ok || !isFn || lx.Name != id.Name {
				continue
			}
			ast.Inspect(fl.Body, func(n ast.Node) bool {
				if r, ok := n.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
					out = append(out, s.labelKeys(r.Results[0], depth+1)...)
				}
				return true
			})
		}
		return true
	})
	return out
}
