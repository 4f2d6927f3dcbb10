package web

import (
	"errors"
	"net/http/httptest"
	"testing"
)

func TestRequireJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"application/vnd.api+json", true},
		{"", false},
		{"text/plain", false},
		{"text/plain;charset=UTF-8", false},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/json;;", false},
		{"text/json+json", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		err := RequireJSON(r)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotJSON)) {
			t.Errorf("%q: err = %v, want ok=%v", tc.ct, err, tc.ok)
		}
	}
}
