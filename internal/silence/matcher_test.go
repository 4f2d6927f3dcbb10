package silence

import (
	"errors"
	"testing"
)

func TestMatcherSemantics(t *testing.T) {
	t.Parallel()
	ups := map[string]string{"alertname": "UPSOnBattery", "device": "ups1", "class": "ups", "site": "hq"}
	tests := []struct {
		in     string
		labels map[string]string
		want   bool
	}{
		{`device="ups1"`, ups, true},
		{`device=ups1`, ups, true},
		{`device="ups"`, ups, false},                            // equality is exact
		{`device=~"ups"`, ups, false},                           // regexes are anchored
		{`device=~"ups.*"`, ups, true},                          //
		{`device=~"UPS1"`, ups, false},                          // case matters
		{`device=~"(?i)UPS1"`, ups, true},                       // unless asked not to
		{`device!="ups1"`, ups, false},                          //
		{`device!="ups2"`, ups, true},                           //
		{`device!~"ups.*"`, ups, false},                         //
		{`device!~"sw.*"`, ups, true},                           //
		{`rack="r1"`, ups, false},                               // a missing label is ""
		{`rack=""`, ups, true},                                  //
		{`rack!="r1"`, ups, true},                               //
		{`rack=~".*"`, ups, true},                               //
		{`rack=~".+"`, ups, false},                              //
		{`rack!~".+"`, ups, true},                               //
		{`site=~"hq|branch"`, ups, true},                        // alternation is anchored as a whole
		{`site=~"h|branch"`, ups, false},                        //
		{`alertname =~ "UPS(OnBattery|RuntimeLow)"`, ups, true}, // spaces around the operator
		{`comment="a,b=\"c\""`, map[string]string{"comment": `a,b="c"`}, true},
		{`site="机房一"`, map[string]string{"site": "机房一"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			m, err := ParseMatcher(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Matches(tc.labels); got != tc.want {
				t.Fatalf("%s on %v = %v, want %v", m, tc.labels, got, tc.want)
			}
			// The API's isRegex/isEqual pair gives the same matcher back.
			if TypeOf(m.IsRegex(), m.IsEqual()) != m.Type {
				t.Fatalf("TypeOf(%v, %v) = %v, want %v", m.IsRegex(), m.IsEqual(), TypeOf(m.IsRegex(), m.IsEqual()), m.Type)
			}
		})
	}
}

func TestMatcherErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `device`, `="x"`, `dev ice="x"`, `1device="x"`, `device=~"("`, `device="unterminated`, `device~"x"`, `a!b="c"`} {
		t.Run(in, func(t *testing.T) {
			if _, err := ParseMatcher(in); !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseMatcher(%q) = %v, want ErrInvalid", in, err)
			}
		})
	}
}

func TestZeroMatcherMatchesNothing(t *testing.T) {
	t.Parallel()
	if (Matcher{}).Matches(map[string]string{}) {
		t.Fatal("the zero Matcher matched")
	}
}
