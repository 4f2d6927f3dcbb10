package console

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
)

// wallDevicesTTL bounds how old the wall's device part (the up, down and
// unknown counts by class and site, today's availability and its worst
// devices) may be. It is computed apart from the tickets: a ticket change
// does not change a device's state, and reading the state of every device
// (5,000 in a county) was most of what each computation of the wall cost
// (a query over every device's probes and a row per device), now done at
// most once per wallDevicesTTL however often the tickets change. The
// displays re-read their panel every WallRefresh.
const wallDevicesTTL = 10 * time.Second

// wallDeviceEntry is the wall's device part for one set of sites.
type wallDeviceEntry struct {
	at             time.Time
	classes, sites []wallCount
	avail          string // availability today, percent ("" unknown)
	worst          []wallWorst
}

// wallDevices returns the device part of the wall for u's sites, computed
// at most once per wallDevicesTTL. Called with c.wallc.mu held; its slices
// are shared by the views built from it and never changed.
func (c *Console) wallDevices(ctx context.Context, u accounts.User, now time.Time) *wallDeviceEntry {
	key := strings.Join(u.Sites, ",")
	if d, ok := c.wallc.devices[key]; ok && now.Sub(d.at) < wallDevicesTTL && !now.Before(d.at) {
		return d
	}
	rows := c.deviceRows(ctx, u, rowDetail{})
	byClass := map[string]*wallCount{}
	bySite := map[string]*wallCount{}
	for _, r := range rows {
		for _, m := range []struct {
			m   map[string]*wallCount
			key string
			wc  wallCount
		}{{byClass, r.Class, wallCount{Key: r.ClassKey}}, {bySite, r.Site, wallCount{Name: r.Site}}} {
			wc := m.m[m.key]
			if wc == nil {
				x := m.wc
				wc = &x
				m.m[m.key] = wc
			}
			switch r.State {
			case "up":
				wc.Up++
			case "down":
				wc.Down++
			default:
				wc.Unknown++
			}
		}
	}
	flat := func(m map[string]*wallCount) []wallCount {
		out := make([]wallCount, 0, len(m))
		for _, wc := range m {
			out = append(out, *wc)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Down != out[j].Down {
				return out[i].Down > out[j].Down
			}
			return out[i].Key+out[i].Name < out[j].Key+out[j].Name
		})
		return out
	}
	d := &wallDeviceEntry{at: now, classes: flat(byClass), sites: flat(bySite)}
	if inv := c.o.Sources.Inventory; inv != nil {
		for i := range d.sites {
			for _, s := range inv.Sites {
				if s.Name == d.sites[i].Name && s.DisplayName != "" {
					d.sites[i].Name = s.DisplayName
				}
			}
		}
	}

	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.o.Location)
	avail := c.availToday(ctx, now, midnight)
	var sum float64
	var n int
	for _, r := range rows {
		if a, ok := avail[r.Name]; ok {
			sum += a
			n++
			if a < 1 {
				d.worst = append(d.worst, wallWorst{Device: r.Name, Display: r.Display, Avail: fmt.Sprintf("%.2f%%", 100*a)})
			}
		}
	}
	if n > 0 {
		d.avail = fmt.Sprintf("%.2f%%", 100*sum/float64(n))
	}
	sort.SliceStable(d.worst, func(i, j int) bool { return avail[d.worst[i].Device] < avail[d.worst[j].Device] })
	if len(d.worst) > 8 {
		d.worst = d.worst[:8]
	}

	if c.wallc.devices == nil {
		c.wallc.devices = map[string]*wallDeviceEntry{}
	}
	c.wallc.devices[key] = d
	return d
}
