package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestComplaintsAPI: a customer files a complaint (about a ticket), sees only
// its own; a manager answers and closes it; the roles and bad input.
func TestComplaintsAPI(t *testing.T) {
	s := start(t, false, false)
	code, tk := s.do(t, "POST", "/api/v1/tickets", engineerTok, `{"title":"卡口离线","level":"III"}`)
	if code != http.StatusCreated {
		t.Fatalf("create ticket: %d %v", code, tk)
	}
	tid := int64(tk["id"].(float64))
	steps := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"customer files about a ticket", "POST", "/api/v1/complaints", custATok, fmt.Sprintf(`{"ticket_id":%d,"text":"到场太慢","contact":"张科 138"}`, tid), 201},
		{"another customer files", "POST", "/api/v1/complaints", custBTok, `{"text":"电话无人接"}`, 201},
		{"duty operator files", "POST", "/api/v1/complaints", viewerTok, `{"text":"值班电话占线"}`, 201},
		{"no text", "POST", "/api/v1/complaints", custATok, `{"text":" "}`, 400},
		{"unknown ticket", "POST", "/api/v1/complaints", custATok, `{"ticket_id":999,"text":"x"}`, 404},
		{"unknown field", "POST", "/api/v1/complaints", custATok, `{"text":"x","by":"someone"}`, 400},
		{"no token", "POST", "/api/v1/complaints", "", `{"text":"x"}`, 401},
		{"customer may not answer", "POST", "/api/v1/complaints/1/answer", custATok, `{"reply":"x"}`, 403},
		{"engineer may not answer", "POST", "/api/v1/complaints/1/answer", engineerTok, `{"reply":"x"}`, 403},
		{"close before answer", "POST", "/api/v1/complaints/1/close", managerTok, ``, 409},
		{"manager answers", "POST", "/api/v1/complaints/1/answer", managerTok, `{"reply":"已约谈工程师"}`, 200},
		{"manager closes", "POST", "/api/v1/complaints/1/close", managerTok, ``, 200},
		{"customer reads own", "GET", "/api/v1/complaints/1", custATok, ``, 200},
		{"customer cannot read another's", "GET", "/api/v1/complaints/2", custATok, ``, 404},
		{"bad list parameter", "GET", "/api/v1/complaints?site=x", managerTok, ``, 400},
	}
	for _, st := range steps {
		s.Clock.Advance(time.Minute)
		code, body := s.do(t, st.method, st.path, st.token, st.body)
		if code != st.want {
			t.Errorf("%s: %d %v, want %d", st.name, code, body, st.want)
		}
	}
	_, one := s.do(t, "GET", "/api/v1/complaints/1", managerTok, "")
	if one["state"] != "closed" || one["filed_by"] != "甲方A" || one["replied_by"] != "boss" || one["closed_by"] != "boss" {
		t.Errorf("complaint 1: %v", one)
	}
	count := func(token, q string) int {
		_, m := s.do(t, "GET", "/api/v1/complaints"+q, token, "")
		return len(m["complaints"].([]any))
	}
	for _, tc := range []struct {
		name, token, q string
		want           int
	}{
		{"manager sees all", managerTok, "", 3},
		{"customer A sees its own", custATok, "", 1},
		{"customer B sees its own", custBTok, "", 1},
		{"open ones", managerTok, "?open=true", 2},
		{"about the ticket", managerTok, fmt.Sprintf("?ticket=%d", tid), 1},
	} {
		if got := count(tc.token, tc.q); got != tc.want {
			t.Errorf("%s: %d complaints, want %d", tc.name, got, tc.want)
		}
	}
}
