package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/integrity"
)

// TestSearchAudit: the console's search over audit_log, newest first, every
// word required, limited.
func TestSearchAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := chained(t, integrity.SHA256)
	all, err := s.SearchAudit(ctx, "", 0)
	if err != nil || len(all) != 7 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	for i, l := range all {
		if l.LineNo != 7-i || l.Who != "test" || l.Kind != "opened" || !strings.Contains(l.Text, `"ticket_id":`) {
			t.Fatalf("line %d: %+v", i, l)
		}
	}
	two, err := s.SearchAudit(ctx, "TEST opened", 2)
	if err != nil || len(two) != 2 || two[0].LineNo != 7 {
		t.Fatalf("limit 2: %+v %v", two, err)
	}
	none, err := s.SearchAudit(ctx, "test nobody", 10)
	if err != nil || len(none) != 0 {
		t.Fatalf("no match: %+v %v", none, err)
	}
}
