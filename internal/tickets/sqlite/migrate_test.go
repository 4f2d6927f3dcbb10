package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestMigrateComplaintNotices: migration 0009 rebuilds the notices table
// (ticket_id nullable, complaint_id): a database at version 8 keeps its
// ticket notices, pending ones still pending, and then takes a complaint
// notice without a ticket; a notice with neither is refused.
func TestMigrateComplaintNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickets.db")
	db, err := sql.Open("sqlite", dsn(path, "FULL", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 8); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC).UnixNano()
	for _, q := range []string{
		`INSERT INTO tickets (id, level, state, title, opened_at, updated_at) VALUES (1, 3, 'new', '卡口离线', ` + itoa(at) + `, ` + itoa(at) + `)`,
		`INSERT INTO notices (key, ticket_id, timer, step, kind, role, due_at, state) VALUES ('1/open/group', 1, '', 0, 'open', 'group', ` + itoa(at) + `, 'pending')`,
		`INSERT INTO notices (key, ticket_id, timer, step, kind, role, due_at, state, finished_at) VALUES ('1/respond/0', 1, 'respond', 0, 'warn', 'engineer', ` + itoa(at) + `, 'sent', ` + itoa(at) + `)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v < 9 {
		t.Fatalf("schema version %d, %v; want ≥ 9", v, err)
	}
	due := time.Unix(0, at)
	err = s.Update(ctx, func(tx tickets.Tx) error {
		id, err := tx.InsertComplaint(tickets.Complaint{Text: "电话无人接", FiledBy: "jiafang", FiledAt: due, DueAt: due.Add(24 * time.Hour)})
		if err != nil {
			return err
		}
		_, err = tx.ClaimNotice(tickets.Notice{Key: "complaint/1/complaint/project_manager", ComplaintID: id, Kind: "complaint",
			Role: "project_manager", DueAt: due})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx tickets.Tx) error {
		_, err := tx.ClaimNotice(tickets.Notice{Key: "nothing", Kind: "open", Role: "group", DueAt: due})
		return err
	}); err == nil {
		t.Error("a notice about neither a ticket nor a complaint was claimed")
	}
	pending, err := s.PendingNotices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range pending {
		got = append(got, n.Key+" "+itoa(n.TicketID)+" "+itoa(n.ComplaintID))
	}
	want := []string{"1/open/group 1 0", "complaint/1/complaint/project_manager 0 1"}
	if !slices.Equal(got, want) {
		t.Errorf("pending notices %q, want %q", got, want)
	}
	over, err := s.OverdueComplaints(ctx, due.Add(25*time.Hour), "complaint_overdue")
	if err != nil || len(over) != 1 || over[0].ID != 1 {
		t.Errorf("overdue complaints %+v, %v; want complaint 1", over, err)
	}
	if over, _ := s.OverdueComplaints(ctx, due.Add(23*time.Hour), "complaint_overdue"); len(over) != 0 {
		t.Errorf("overdue before the deadline: %+v", over)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
