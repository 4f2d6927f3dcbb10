package camera

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/netcheck"
)

// Checkpoint checks a vehicle checkpoint camera (卡口): when its newest
// capture arrived, from the upload directory on this machine (upload_dir) or
// from an HTTP endpoint (capture_url), and its clock offset, read from ISAPI
// /ISAPI/System/time for Hikvision, getCurrentTime for Dahua, else the Date
// header of its web interface.
//
// The age is a measurement, not a verdict: whether 20 minutes without a
// capture is a fault depends on traffic hours, which the alert rules know.
type Checkpoint struct {
	Clock    clockwork.Clock // nil: the real clock
	Location *time.Location  // Dahua device time zone; nil: UTC+8
	// MaxDepth bounds the descent into the upload tree; default 8.
	MaxDepth int
}

// Probe implements probe.Prober. It fails when no capture time can be read;
// a clock that cannot be read is reported in Err but keeps the capture samples.
func (c Checkpoint) Probe(ctx context.Context, t inventory.Target) probe.Result {
	clock := orReal(c.Clock)
	r := probe.Result{Target: t, Probe: "checkpoint", Start: clock.Now()}
	defer func() { r.Duration = clock.Since(r.Start) }()
	d := t.Device
	if d == nil || (d.Probe.UploadDir == "" && d.Probe.CaptureURL == "") {
		r.Err = probe.Errorf(probe.ReasonConfig, "checkpoint check needs probe.upload_dir or probe.capture_url")
		return r
	}
	var newest time.Time
	var err error
	if d.Probe.UploadDir != "" {
		newest, err = NewestFile(d.Probe.UploadDir, c.maxDepth())
	} else {
		newest, err = c.captureURL(ctx, t)
	}
	if err != nil {
		r.Err = err
		return r
	}
	if !newest.IsZero() {
		r.Add("roomwatch_checkpoint_last_capture_timestamp_seconds", probe.Gauge, float64(newest.UnixNano())/1e9, "When the newest capture arrived.", nil)
		r.Add("roomwatch_checkpoint_capture_age_seconds", probe.Gauge, clock.Since(newest).Seconds(), "Age of the newest capture at the time of the check.", nil)
	} else {
		r.Add("roomwatch_checkpoint_captures_present", probe.Gauge, 0, "0 when the upload directory holds no capture at all.", nil)
	}
	if err := c.clockOffset(ctx, t, clock, &r); err != nil {
		r.Err = err
	}
	return r
}

func (c Checkpoint) maxDepth() int {
	if c.MaxDepth > 0 {
		return c.MaxDepth
	}
	return 8
}

// NewestFile returns the modification time of the newest regular file under
// dir (zero if there is none). It reads every entry of a level but descends
// only into the two most promising subdirectories of each level: the one with
// the greatest name (date-named trees: 2026/11/22/…) and the one modified
// last; so a tree of months of captures costs a few directory reads, not a
// full walk.
func NewestFile(dir string, maxDepth int) (time.Time, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return time.Time{}, probe.Errorf(probe.ReasonConfig, "upload_dir: %w", err)
	}
	if !st.IsDir() {
		return time.Time{}, probe.Errorf(probe.ReasonConfig, "upload_dir %s is not a directory", dir)
	}
	return newestIn(dir, maxDepth)
}

func newestIn(dir string, depth int) (time.Time, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return time.Time{}, fmt.Errorf("upload_dir: %w", err)
	}
	var newest time.Time
	type sub struct {
		name string
		mod  time.Time
	}
	var dirs []sub
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // partial uploads (.tmp), hidden files
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		switch {
		case e.IsDir():
			dirs = append(dirs, sub{e.Name(), info.ModTime()})
		case info.Mode().IsRegular():
			if info.ModTime().After(newest) {
				newest = info.ModTime()
			}
		}
	}
	if depth <= 0 || len(dirs) == 0 {
		return newest, nil
	}
	pick := map[string]bool{}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].name > dirs[j].name })
	pick[dirs[0].name] = true
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].mod.After(dirs[j].mod) })
	pick[dirs[0].name] = true
	for name := range pick {
		t, err := newestIn(filepath.Join(dir, name), depth-1)
		if err != nil {
			return time.Time{}, err
		}
		if t.After(newest) {
			newest = t
		}
	}
	return newest, nil
}

// captureURL reads the newest capture time from capture_url: the
// Last-Modified header, else a body holding one timestamp (RFC 3339, or
// "2006-01-02 15:04:05" in the device zone, or Unix seconds).
func (c Checkpoint) captureURL(ctx context.Context, t inventory.Target) (time.Time, error) {
	b, resp, err := netcheck.Get(ctx, netcheck.ClientFor(t), t.Device.Probe.CaptureURL)
	if err != nil {
		return time.Time{}, err
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if tm, err := http.ParseTime(lm); err == nil {
			return tm, nil
		}
	}
	tm, err := ParseTimestamp(string(b), c.loc())
	if err != nil {
		return time.Time{}, probe.Errorf(probe.ReasonProtocol, "capture_url: %w", err)
	}
	return tm, nil
}

func (c Checkpoint) loc() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	return time.FixedZone("CST", 8*3600)
}

// ParseTimestamp parses one timestamp: RFC 3339, "2006-01-02 15:04:05" in
// loc, or Unix seconds (10 digits) or milliseconds (13 digits).
func ParseTimestamp(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return tm, nil
	}
	if tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc); err == nil {
		return tm, nil
	}
	if len(s) == 10 || len(s) == 13 {
		var n int64
		if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
			if len(s) == 13 {
				return time.UnixMilli(n), nil
			}
			return time.Unix(n, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", clip(s))
}

// clockOffset reads the device clock by vendor.
func (c Checkpoint) clockOffset(ctx context.Context, t inventory.Target, clock clockwork.Clock, r *probe.Result) error {
	base, err := netcheck.BaseURL(t)
	if err != nil {
		return err
	}
	client := netcheck.ClientFor(t)
	sent := clock.Now()
	switch inventory.VendorKey(t.Device.Vendor) {
	case "hikvision":
		b, _, err := netcheck.Get(ctx, client, base+"/ISAPI/System/time")
		if err != nil {
			return fmt.Errorf("clock: %w", err)
		}
		dt, err := ParseISAPITime(b)
		if err != nil {
			return probe.Errorf(probe.ReasonProtocol, "clock: %w", err)
		}
		addClockOffset(r, dt, sent, clock.Now())
	case "dahua":
		b, _, err := netcheck.Get(ctx, client, base+"/cgi-bin/global.cgi?action=getCurrentTime")
		if err != nil {
			return fmt.Errorf("clock: %w", err)
		}
		kv, err := ParseKV(b)
		if err != nil {
			return probe.Errorf(probe.ReasonProtocol, "clock: %w", err)
		}
		dt, err := ParseDahuaTime(kv, c.loc())
		if err != nil {
			return probe.Errorf(probe.ReasonProtocol, "clock: %w", err)
		}
		addClockOffset(r, dt, sent, clock.Now())
	default:
		_, resp, err := netcheck.Get(ctx, client, base+"/")
		if resp == nil {
			return fmt.Errorf("clock: %w", err)
		}
		dt, perr := http.ParseTime(resp.Header.Get("Date"))
		if perr != nil {
			return probe.Errorf(probe.ReasonProtocol, "clock: no usable Date header")
		}
		// Date has one-second resolution: compare with the truncated midpoint.
		addClockOffset(r, dt, sent.Truncate(time.Second), clock.Now().Truncate(time.Second))
	}
	return nil
}
