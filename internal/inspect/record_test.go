package inspect

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStoredRecordRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 20, 0, 30, 0, 0, time.UTC)
	v := 3.5
	items := []ItemInfo{
		{ID: "temp", Name: "温度", NameEN: "Temperature", Kind: "metric", Unit: "℃", Query: "max by (device) (t)", At: at},
		{ID: "export", Name: "数据导出", NameEN: "Export", Kind: "file", Unit: "h"},
	}
	rows := []Row{
		{Device: "cam1", Display: "cam1", Item: "temp", Name: "温度", NameEN: "Temperature", Kind: "metric", Unit: "℃", Value: &v,
			Verdict: Normal, Evidence: Evidence{Query: "max by (device) (t)", At: at, Values: []float64{3.5}}},
		{Device: "cam2", Display: "大门摄像机", Item: "temp", Name: "温度", NameEN: "Temperature", Kind: "metric", Unit: "℃",
			Verdict: Unchecked, Reason: "no data", Evidence: Evidence{Query: "max by (device) (t)", At: at}},
		// A row that differs from its item keeps its own fields.
		{Device: "cam3", Display: "cam3", Item: "temp", Name: "温度(旧)", NameEN: "Temperature", Kind: "metric", Unit: "%",
			Verdict: Normal, Evidence: Evidence{Query: "other", At: at.Add(time.Hour)}},
		{Device: "数据导出任务", Display: "数据导出任务", Item: "export", Name: "数据导出", NameEN: "Export", Kind: "file", Unit: "h",
			Verdict: Normal, Evidence: Evidence{Path: "/x/a.csv", Note: "最新文件"}},
		{Device: "orphan", Display: "orphan", Item: "gone", Name: "n", NameEN: "n", Kind: "manual", Verdict: Pending},
	}
	st, err := OpenStore(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := append([]Row(nil), rows...)
	id, err := st.AppendRun(context.Background(), &Run{Template: "daily", Rows: rows, Items: items, FinishedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatal("AppendRun changed the caller's rows")
	}
	in, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !reflect.DeepEqual(in.Rows[i], want[i]) {
			t.Errorf("row %d back as\n%+v\nwant\n%+v", i, in.Rows[i], want[i])
		}
	}
	var body string
	if err := st.DB().QueryRow(`SELECT body FROM entries WHERE seq = ?`, id).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(body, "max by (device) (t)"); n != 1 {
		t.Errorf("the item's query is stored %d times, want once: %s", n, body)
	}
	if c := compactRows(rows, items)[0]; c.Name != "" || c.Evidence.Query != "" || c.Display != "" || c.Device != "cam1" {
		t.Errorf("first row not compacted: %+v", c)
	}
	if res, err := st.Verify(context.Background()); err != nil || !res.OK {
		t.Errorf("verify %+v %v", res, err)
	}
}

// TestLegacyTicketRecord: a record written when rows kept the alertname under
// "ticket" still loads, and it and the records after it still verify.
func TestLegacyTicketRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := OpenStore(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The body as the code before ticket ids wrote it.
	old := `{"template":"daily","title":"每日巡检","rhythm":"daily","period_start":"2026-05-19T00:00:00Z",` +
		`"period_end":"2026-05-20T00:00:00Z","started_at":"2026-05-20T00:30:00Z","finished_at":"2026-05-20T00:30:02Z",` +
		`"trigger":"schedule","rows":[{"device":"ups-bad","item":"ups_charge","name":"UPS电池电量","name_en":"UPS battery charge",` +
		`"kind":"metric","verdict":"abnormal","level":"II","evidence":{},"ticket":"InspectionUpsCharge"}],` +
		`"tickets":{"alerts":1,"opened":1,"updated":0}}`
	e := &entry{Kind: KindRun, At: "2026-05-20T00:30:02Z", Template: "daily", PeriodStart: "2026-05-19T00:00:00Z",
		PeriodEnd: "2026-05-20T00:00:00Z", Summary: `{"title":"每日巡检"}`, Body: old}
	if err := st.append(ctx, func(tx *sql.Tx) error { return appendEntry(ctx, tx, nil, e) }); err != nil {
		t.Fatal(err)
	}
	in, err := st.Get(ctx, e.Inspection)
	if err != nil {
		t.Fatal(err)
	}
	if r := in.Rows[0]; r.LegacyTicket != "InspectionUpsCharge" || r.TicketID != 0 {
		t.Errorf("legacy row read as ticket %d legacy %q", r.TicketID, r.LegacyTicket)
	}
	at := time.Date(2026, 5, 21, 0, 30, 0, 0, time.UTC)
	if _, err := st.AppendRun(ctx, &Run{Template: "daily", FinishedAt: at, Rows: []Row{
		{Device: "ups-bad", Item: "ups_charge", Kind: "metric", Verdict: Abnormal, TicketID: 12}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := st.Verify(ctx); err != nil || !res.OK {
		t.Errorf("verify %+v %v", res, err)
	}
	var body string
	if err := st.DB().QueryRow(`SELECT body FROM entries WHERE seq = ?`, e.Seq).Scan(&body); err != nil || body != old {
		t.Errorf("old body rewritten (%v): %s", err, body)
	}
	if err := st.DB().QueryRow(`SELECT body FROM entries WHERE seq = ?`, e.Seq+1).Scan(&body); err != nil ||
		!strings.Contains(body, `"ticket_id":12`) || strings.Contains(body, `"ticket":`) {
		t.Errorf("new body (%v): %s", err, body)
	}
}
