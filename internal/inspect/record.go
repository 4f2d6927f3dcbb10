package inspect

import (
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
)

// Verdict is the outcome of one row.
type Verdict string

// Verdicts. Pending is a manual item the engineer has not yet completed.
const (
	Normal    Verdict = "normal"    // 正常
	Warning   Verdict = "warning"   // 预警
	Abnormal  Verdict = "abnormal"  // 异常
	Unchecked Verdict = "unchecked" // 未检 (with the reason)
	Pending   Verdict = "pending"   // 待检 (manual)
)

// Verdicts lists every verdict.
func Verdicts() []Verdict { return []Verdict{Normal, Warning, Abnormal, Unchecked, Pending} }

// Chinese returns the verdict's name on the sheet.
func (v Verdict) Chinese() string {
	switch v {
	case Normal:
		return "正常"
	case Warning:
		return "预警"
	case Abnormal:
		return "异常"
	case Unchecked:
		return "未检"
	case Pending:
		return "待检"
	}
	return string(v)
}

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool {
	switch v {
	case Normal, Warning, Abnormal, Unchecked, Pending:
		return true
	}
	return false
}

// Evidence is what a verdict rests on.
type Evidence struct {
	Query  string    `json:"query,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Values []float64 `json:"values,omitempty"`
	Path   string    `json:"path,omitempty"`
	Note   string    `json:"note,omitempty"`
	Photo  string    `json:"photo,omitempty"` // file name (SHA-256 of the content + extension)
}

// Row is one device × item of a run.
type Row struct {
	Device   string         `json:"device"`
	Display  string         `json:"display,omitempty"`
	Class    string         `json:"class,omitempty"`
	Site     string         `json:"site,omitempty"`
	Address  string         `json:"address,omitempty"`
	Item     string         `json:"item"`
	Name     string         `json:"name"`
	NameEN   string         `json:"name_en"`
	Kind     string         `json:"kind"`
	Value    *float64       `json:"value,omitempty"`
	Unit     string         `json:"unit,omitempty"`
	Verdict  Verdict        `json:"verdict"`
	Level    classify.Level `json:"level,omitempty"` // set when abnormal
	Reason   string         `json:"reason,omitempty"`
	Evidence Evidence       `json:"evidence"`
	// CheckedBy and CheckedAt are set when an engineer completed a manual row.
	CheckedBy string    `json:"checked_by,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// TicketID is the ticket the abnormal row opened or updated (the
	// intake's IngestResult.Tickets); 0 when it went to none.
	TicketID int64 `json:"ticket_id,omitempty"`
	// LegacyTicket is what records written before ticket ids were kept
	// stored under "ticket": the alertname the row sent to the intake. It is
	// read so that old records load (and their stored bytes, which the hash
	// chain covers, are never rewritten); new rows leave it empty.
	LegacyTicket string `json:"ticket,omitempty"`
}

// Run is what one execution of a template produced (the first entry of an inspection).
type Run struct {
	Template    string        `json:"template"`
	Title       string        `json:"title"`
	TitleEN     string        `json:"title_en,omitempty"`
	Rhythm      Rhythm        `json:"rhythm"`
	PeriodStart time.Time     `json:"period_start"`
	PeriodEnd   time.Time     `json:"period_end"`
	StartedAt   time.Time     `json:"started_at"`
	FinishedAt  time.Time     `json:"finished_at"`
	Trigger     string        `json:"trigger"` // schedule, catch-up, cli, api
	Actor       string        `json:"actor,omitempty"`
	Rows        []Row         `json:"rows"`
	Tickets     TicketSummary `json:"tickets"`
	// Items describe the template's items once; the stored record leaves
	// out of each row what its item already says (see compactRows).
	Items []ItemInfo `json:"items,omitempty"`
}

// ItemInfo is what every row of one item shares.
type ItemInfo struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	NameEN string    `json:"name_en"`
	Kind   string    `json:"kind"`
	Unit   string    `json:"unit,omitempty"`
	Query  string    `json:"query,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// compactRows returns rows without the fields their item (or device) already
// gives: name, name_en, kind, unit, evidence query and time, and a display
// name equal to the device. expandRows undoes it. A record of 100,000 rows
// is a third smaller this way.
func compactRows(rows []Row, items []ItemInfo) []Row {
	if len(items) == 0 {
		return rows
	}
	byID := make(map[string]*ItemInfo, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	out := make([]Row, len(rows))
	for i, r := range rows {
		if it := byID[r.Item]; it != nil {
			if r.Name == it.Name && r.NameEN == it.NameEN && r.Kind == it.Kind {
				r.Name, r.NameEN, r.Kind = "", "", ""
			}
			if r.Unit == it.Unit {
				r.Unit = ""
			}
			if r.Evidence.Query == it.Query && r.Evidence.At.Equal(it.At) {
				r.Evidence.Query, r.Evidence.At = "", time.Time{}
			}
		}
		if r.Display == r.Device {
			r.Display = ""
		}
		out[i] = r
	}
	return out
}

// expandRows fills in place what compactRows left out.
func expandRows(rows []Row, items []ItemInfo) {
	if len(items) == 0 {
		return
	}
	byID := make(map[string]*ItemInfo, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	for i := range rows {
		r := &rows[i]
		if r.Display == "" {
			r.Display = r.Device
		}
		it := byID[r.Item]
		if it == nil {
			continue
		}
		if r.Kind == "" {
			r.Name, r.NameEN, r.Kind = it.Name, it.NameEN, it.Kind
		}
		if r.Unit == "" {
			r.Unit = it.Unit
		}
		if r.Evidence.Query == "" && r.Evidence.At.IsZero() {
			r.Evidence.Query, r.Evidence.At = it.Query, it.At
		}
	}
}

// TicketSummary counts what the abnormal rows did to tickets.
type TicketSummary struct {
	Alerts  int    `json:"alerts"`
	Opened  int    `json:"opened"`
	Updated int    `json:"updated"`
	Error   string `json:"error,omitempty"`
}

// Completion is an engineer's result for a manual (or re-checked) row.
type Completion struct {
	Device  string   `json:"device"`
	Item    string   `json:"item"`
	Verdict Verdict  `json:"verdict"`
	Value   *float64 `json:"value,omitempty"`
	Note    string   `json:"note,omitempty"`
	Photo   string   `json:"photo,omitempty"`
	User    string   `json:"user"`
	Role    string   `json:"role,omitempty"`
}

// Signature roles.
const (
	RoleEngineer = "engineer" // 巡检工程师 signs off
	RoleCustomer = "customer" // 甲方代表 countersigns
)

// Signature is a sign-off of the sheet.
type Signature struct {
	Role  string    `json:"role"` // engineer or customer
	User  string    `json:"user"`
	Title string    `json:"title,omitempty"` // the person's position, e.g. 科长
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

// Inspection is a run with the completions and signatures appended since.
type Inspection struct {
	ID int64 `json:"id"`
	Run
	Signatures []Signature `json:"signatures,omitempty"`
	Status     string      `json:"status"` // pending, completed, signed, countersigned
	Totals     Totals      `json:"totals"`
}

// Totals count the rows by verdict.
type Totals struct {
	Devices   int `json:"devices"`
	Rows      int `json:"rows"`
	Normal    int `json:"normal"`
	Warning   int `json:"warning"`
	Abnormal  int `json:"abnormal"`
	Unchecked int `json:"unchecked"`
	Pending   int `json:"pending"`
}

// Count fills the totals from rows.
func Count(rows []Row) Totals {
	t := Totals{Rows: len(rows)}
	devs := map[string]bool{}
	for _, r := range rows {
		devs[r.Device] = true
		switch r.Verdict {
		case Normal:
			t.Normal++
		case Warning:
			t.Warning++
		case Abnormal:
			t.Abnormal++
		case Unchecked:
			t.Unchecked++
		case Pending:
			t.Pending++
		}
	}
	t.Devices = len(devs)
	return t
}

// Signed returns the signature of a role, if any.
func (in *Inspection) Signed(role string) (Signature, bool) {
	for _, s := range in.Signatures {
		if s.Role == role {
			return s, true
		}
	}
	return Signature{}, false
}

func (in *Inspection) refresh() {
	in.Totals = Count(in.Rows)
	switch {
	case hasRole(in.Signatures, RoleCustomer):
		in.Status = "countersigned"
	case hasRole(in.Signatures, RoleEngineer):
		in.Status = "signed"
	case in.Totals.Pending > 0:
		in.Status = "pending"
	default:
		in.Status = "completed"
	}
}

func hasRole(ss []Signature, role string) bool {
	for _, s := range ss {
		if s.Role == role {
			return true
		}
	}
	return false
}
