package console

import (
	"slices"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

func TestAllowedActions(t *testing.T) {
	tests := []struct {
		role  auth.Role
		state tickets.State
		want  string
	}{
		{auth.RoleViewer, tickets.StateOpen, ""},
		{auth.RoleCustomer, tickets.StateOpen, ""},
		{auth.RoleEngineer, tickets.StateOpen, "ack dispatch onsite resolve note"},
		{auth.RoleManager, tickets.StateOpen, "ack dispatch onsite resolve cancel note"},
		{auth.RoleEngineer, tickets.StateResolved, "close note"},
		{auth.RoleManager, tickets.StateResolved, "close reopen note"},
		{auth.RoleAdmin, tickets.StateClosed, "reopen note"},
		{auth.RoleEngineer, tickets.StateCancelled, "note"},
	}
	for _, tc := range tests {
		var got []string
		for _, a := range allowedActions(accounts.User{Role: tc.role}, tc.state) {
			got = append(got, string(a))
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%s on %s: %q, want %q", tc.role, tc.state, s, tc.want)
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
