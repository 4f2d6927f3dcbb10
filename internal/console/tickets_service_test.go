package console

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

func TestAllowedActions(t *testing.T) {
	paused := &tickets.Pause{Reason: "等待用户备件", AgreedBy: "李科长"}
	tests := []struct {
		role  auth.Role
		state tickets.State
		pause *tickets.Pause
		want  string
	}{
		{auth.RoleViewer, tickets.StateOpen, nil, ""},
		{auth.RoleCustomer, tickets.StateOpen, nil, ""},
		{auth.RoleEngineer, tickets.StateOpen, nil, "ack dispatch onsite diagnose plan spare pause resolve repair_out note"},
		{auth.RoleEngineer, tickets.StateOnSite, paused, "diagnose plan spare resume resolve repair_out note"},
		{auth.RoleManager, tickets.StateOpen, nil, "ack dispatch onsite diagnose plan spare pause resolve repair_out cancel note"},
		{auth.RoleEngineer, tickets.StateRecovered, nil, "diagnose plan spare pause resolve repair_out note"},
		{auth.RoleEngineer, tickets.StateResolved, nil, "report confirm reject followup repair_out close note"},
		{auth.RoleManager, tickets.StateResolved, nil, "report confirm reject followup repair_out close reopen note"},
		{auth.RoleCustomer, tickets.StateResolved, nil, "confirm reject followup"},
		{auth.RoleViewer, tickets.StateResolved, nil, ""},
		{auth.RoleCustomer, tickets.StateConfirmed, nil, "reject followup"},
		{auth.RoleEngineer, tickets.StateConfirmed, nil, "report reject followup repair_out close note"},
		{auth.RoleCustomer, tickets.StateClosed, nil, "followup"},
		{auth.RoleAdmin, tickets.StateClosed, nil, "followup reopen note"},
		{auth.RoleEngineer, tickets.StateCancelled, nil, "note"},
	}
	for _, tc := range tests {
		var got []string
		for _, a := range allowedActions(accounts.User{Role: tc.role}, &tickets.Ticket{State: tc.state, Pause: tc.pause}) {
			got = append(got, string(a))
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%s on %s (paused %v): %q, want %q", tc.role, tc.state, tc.pause != nil, s, tc.want)
		}
	}
}

// TestAllowedRepairActions: one unit away for repair at a time (seed 003
// lines 694–699); the report to the bureau is of a factory repair.
func TestAllowedRepairActions(t *testing.T) {
	out := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		parts []tickets.Part
		want  string
	}{
		{"no part away", []tickets.Part{{ID: 1, Part: "电源模块"}}, "repair_out"},
		{"local away", []tickets.Part{{ID: 1, Part: "电源模块", RepairKind: tickets.RepairLocal, RepairOut: &out}}, "repair_back"},
		{"factory away", []tickets.Part{{ID: 1, Part: "硬盘", RepairKind: tickets.RepairFactory, RepairOut: &out}}, "repair_back repair_report"},
		{"factory back", []tickets.Part{{ID: 1, Part: "硬盘", RepairKind: tickets.RepairFactory, RepairOut: &out, RepairBack: &out}}, "repair_out repair_report"},
	}
	for _, tc := range tests {
		var got []string
		for _, a := range allowedActions(accounts.User{Role: auth.RoleEngineer}, &tickets.Ticket{State: tickets.StateResolved, Parts: tc.parts}) {
			if strings.HasPrefix(string(a), "repair_") {
				got = append(got, string(a))
			}
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, s, tc.want)
		}
	}
}

func TestSiteScope(t *testing.T) {
	cust := accounts.User{Role: auth.RoleCustomer, Sites: []string{"甲所"}}
	if !maysee(cust, "甲所") || maysee(cust, "乙所") || !slices.Equal(siteScope(cust), []string{"甲所"}) {
		t.Error("customer with sites")
	}
	// Only a customer is limited; an engineer's sites are where he works.
	if eng := (accounts.User{Role: auth.RoleEngineer, Sites: []string{"甲所"}}); !maysee(eng, "乙所") {
		t.Error("engineer limited by sites")
	}
	if !maysee(accounts.User{Role: auth.RoleCustomer}, "乙所") {
		t.Error("customer without sites sees the whole bureau")
	}
}
