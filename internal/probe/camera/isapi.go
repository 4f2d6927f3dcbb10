package camera

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/netcheck"
)

// Metric names shared by the ISAPI and Dahua checks (vendor-neutral).
const (
	mClock      = "roomwatch_device_clock_offset_seconds"
	mDiskOK     = "roomwatch_nvr_disk_ok"
	mDiskStatus = "roomwatch_nvr_disk_status_info"
	mDiskCap    = "roomwatch_nvr_disk_capacity_bytes"
	mDiskFree   = "roomwatch_nvr_disk_free_bytes"
	mDisks      = "roomwatch_nvr_disks"
	mChanOnline = "roomwatch_nvr_channel_online"
	mChanRec    = "roomwatch_nvr_channel_recording_enabled"
)

// ISAPI checks a Hikvision NVR or camera over ISAPI with Digest auth.
type ISAPI struct {
	Clock clockwork.Clock // nil: the real clock
}

// Probe implements probe.Prober. The device is down when deviceInfo fails;
// a failing optional endpoint (storage, channels, tracks, time) is reported
// in Err but its siblings' samples are kept. 404 on an optional endpoint means
// the device lacks it (a camera has no channel proxy) and is not an error.
func (c ISAPI) Probe(ctx context.Context, t inventory.Target) probe.Result {
	clock := orReal(c.Clock)
	r := probe.Result{Target: t, Probe: "isapi", Start: clock.Now(), Vendor: "hikvision"}
	defer func() { r.Duration = clock.Since(r.Start) }()
	base, err := netcheck.BaseURL(t)
	if err != nil {
		r.Err = err
		return r
	}
	client := netcheck.ClientFor(t)
	get := func(path string) ([]byte, error) {
		b, _, err := netcheck.Get(ctx, client, base+path)
		return b, err
	}
	b, err := get("/ISAPI/System/deviceInfo")
	if err != nil {
		r.Err = err
		return r
	}
	info, err := ParseISAPIDeviceInfo(b)
	if err != nil {
		r.Err = probe.Errorf(probe.ReasonProtocol, "deviceInfo: %w", err)
		return r
	}
	r.Model = info.Model
	addIdentity(&r, "hikvision", info)

	var errs []error
	b, err = get("/ISAPI/ContentMgmt/Storage/hdd")
	if probe.Reason(err) == probe.ReasonNotFound {
		b, err = get("/ISAPI/ContentMgmt/storage")
	}
	switch {
	case probe.Reason(err) == probe.ReasonNotFound:
	case err != nil:
		errs = append(errs, err)
	default:
		disks, err := ParseISAPIStorage(b)
		if err != nil {
			errs = append(errs, probe.Errorf(probe.ReasonProtocol, "storage: %w", err))
		} else {
			addDisks(&r, disks)
		}
	}
	channels := map[string]*ChannelState{}
	var order []string
	merge := func(list []ChannelState) {
		for _, s := range list {
			cur, ok := channels[s.Channel]
			if !ok {
				cp := s
				channels[s.Channel] = &cp
				order = append(order, s.Channel)
				continue
			}
			if s.Online != nil {
				cur.Online = s.Online
			}
			if s.Recording != nil {
				cur.Recording = s.Recording
			}
		}
	}
	for _, ep := range []struct {
		path  string
		parse func([]byte) ([]ChannelState, error)
	}{
		{"/ISAPI/ContentMgmt/InputProxy/channels/status", ParseISAPIChannelStatus},
		{"/ISAPI/ContentMgmt/record/tracks", ParseISAPITracks},
	} {
		b, err := get(ep.path)
		if probe.Reason(err) == probe.ReasonNotFound {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		list, err := ep.parse(b)
		if err != nil {
			errs = append(errs, probe.Errorf(probe.ReasonProtocol, "%s: %w", ep.path, err))
			continue
		}
		merge(list)
	}
	addChannels(&r, channels, order)

	sent := clock.Now()
	b, err = get("/ISAPI/System/time")
	switch {
	case probe.Reason(err) == probe.ReasonNotFound:
	case err != nil:
		errs = append(errs, err)
	default:
		dt, err := ParseISAPITime(b)
		if err != nil {
			errs = append(errs, probe.Errorf(probe.ReasonProtocol, "time: %w", err))
		} else {
			addClockOffset(&r, dt, sent, clock.Now())
		}
	}
	r.Err = joinErrs(errs)
	return r
}

func addIdentity(r *probe.Result, vendor string, info DeviceInfo) {
	r.Add("roomwatch_device_reported_info", probe.Info, 1,
		"What the device says it is (value 1): vendor and model as detected (SNMP profile, camera and NVR APIs), serial, firmware, and SNMP sysName, sysDescr, sysObjectID and profiles applied.",
		map[string]string{
			"reported_vendor": vendor, "reported_model": info.Model, "serial": info.Serial, "firmware": info.Firmware,
		})
}

func addDisks(r *probe.Result, disks []Disk) {
	r.Add(mDisks, probe.Gauge, float64(len(disks)), "Hard disks the recorder reports.", nil)
	for _, d := range disks {
		l := map[string]string{"disk": d.ID}
		r.Add(mDiskOK, probe.Gauge, b2f(d.OK), "Whether the disk is healthy (1) or not (0): error, SMART failure, unformatted, missing, repairing…", l)
		r.Add(mDiskStatus, probe.Info, 1, "The disk status as the recorder words it (lower case).", map[string]string{"disk": d.ID, "status": d.Status})
		r.Add(mDiskCap, probe.Gauge, d.CapacityBytes, "Disk capacity.", l)
		r.Add(mDiskFree, probe.Gauge, d.FreeBytes, "Free space on the disk (0 is normal when recordings overwrite).", l)
	}
}

func addChannels(r *probe.Result, channels map[string]*ChannelState, order []string) {
	for _, ch := range order {
		s := channels[ch]
		l := map[string]string{"channel": ch}
		if s.Online != nil {
			r.Add(mChanOnline, probe.Gauge, b2f(*s.Online), "Whether the recorder sees the channel's camera online.", l)
		}
		if s.Recording != nil {
			r.Add(mChanRec, probe.Gauge, b2f(*s.Recording), "Whether recording is enabled for the channel's main stream.", l)
		}
	}
}

// addClockOffset records device time minus the midpoint of the request.
func addClockOffset(r *probe.Result, device, sent, received time.Time) {
	mid := sent.Add(received.Sub(sent) / 2)
	r.Add(mClock, probe.Gauge, device.Sub(mid).Seconds(), "Device clock minus the collector's clock (positive: device ahead).", nil)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func joinErrs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

func orReal(c clockwork.Clock) clockwork.Clock {
	if c == nil {
		return clockwork.NewRealClock()
	}
	return c
}
