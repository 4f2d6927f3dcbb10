package report

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReportDoesNotImportTicketStore keeps the report package on the
// tickets vocabulary: it reads history through TicketHistory and never
// depends on the SQLite store that implements it.
func TestReportDoesNotImportTicketStore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "github.com/roomwatch/roomwatch/internal/tickets/sqlite" {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
