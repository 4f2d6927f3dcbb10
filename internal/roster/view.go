package roster

import (
	"context"

	"github.com/roomwatch/roomwatch/internal/calendar"
)

// View returns the shifts from … to with the names of the people on duty
// (the API's and the console's view).
func (r *Roster) View(ctx context.Context, from, to calendar.Date) (APIRoster, error) {
	cur := r.ShiftDate(r.o.Clock.Now())
	out := APIRoster{Handover: r.Handover(), Timezone: r.o.Location.String(), Shifts: []APIShift{}}
	names := map[string]Person{}
	for _, s := range r.Shifts(from, to) {
		as := APIShift{Date: s.Date.String(), Start: s.Start, End: s.End, Holiday: s.Holiday, Current: s.Date == cur, Duty: []APIDuty{}}
		for _, d := range s.Duty {
			ad := APIDuty{Role: d.Role, Source: d.Source, OverrideID: d.OverrideID, Reason: d.Reason}
			for _, u := range d.Users {
				p, ok := names[u]
				if !ok {
					var err error
					if p, err = r.person(ctx, u); err != nil {
						return APIRoster{}, err
					}
					names[u] = p
				}
				ad.People = append(ad.People, APIPerson{User: u, Name: p.Name, Known: p.Known || r.o.Accounts == nil})
			}
			as.Duty = append(as.Duty, ad)
		}
		out.Shifts = append(out.Shifts, as)
	}
	probs, err := r.Problems(ctx)
	if err != nil {
		return APIRoster{}, err
	}
	out.Problems = append([]Problem{}, probs...)
	return out, nil
}
