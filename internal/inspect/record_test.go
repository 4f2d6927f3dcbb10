package inspect

import (
	"context"
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
