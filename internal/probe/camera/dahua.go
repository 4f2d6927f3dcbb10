package camera

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/netcheck"
)

// Dahua checks a Dahua NVR or camera over its HTTP CGI with Digest (or Basic) auth.
type Dahua struct {
	Clock clockwork.Clock // nil: the real clock
	// Location is the devices' time zone: getCurrentTime answers local time
	// without a zone. Nil: Asia/Shanghai (UTC+8).
	Location *time.Location
}

func (c Dahua) loc() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	return time.FixedZone("CST", 8*3600)
}

// Probe implements probe.Prober. Down when getSystemInfo fails; the other
// endpoints are optional as in ISAPI.
func (c Dahua) Probe(ctx context.Context, t inventory.Target) probe.Result {
	clock := orReal(c.Clock)
	r := probe.Result{Target: t, Probe: "dahua", Start: clock.Now(), Vendor: "dahua"}
	defer func() { r.Duration = clock.Since(r.Start) }()
	base, err := netcheck.BaseURL(t)
	if err != nil {
		r.Err = err
		return r
	}
	client := netcheck.ClientFor(t)
	get := func(path string) (map[string]string, error) {
		b, _, err := netcheck.Get(ctx, client, base+path)
		if err != nil {
			return nil, err
		}
		kv, err := ParseKV(b)
		if err != nil {
			return nil, probe.Errorf(probe.ReasonProtocol, "%s: %w", path, err)
		}
		return kv, nil
	}
	kv, err := get("/cgi-bin/magicBox.cgi?action=getSystemInfo")
	if err != nil {
		r.Err = err
		return r
	}
	info := DeviceInfo{Model: kv["deviceType"], Serial: kv["serialNumber"], Firmware: kv["hardwareVersion"]}
	if info.Model == "" {
		info.Model = kv["updateSerial"]
	}
	if info.Model == "" && info.Serial == "" {
		r.Err = probe.Errorf(probe.ReasonProtocol, "getSystemInfo: neither deviceType nor serialNumber")
		return r
	}
	r.Model = info.Model
	addIdentity(&r, "dahua", info)

	var errs []error
	optional := func(path string, use func(map[string]string) error) {
		kv, err := get(path)
		if probe.Reason(err) == probe.ReasonNotFound {
			return
		}
		if err == nil {
			err = use(kv)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	optional("/cgi-bin/storageDevice.cgi?action=getDeviceAllInfo", func(kv map[string]string) error {
		disks, err := ParseDahuaStorage(kv)
		if err != nil {
			return probe.Errorf(probe.ReasonProtocol, "getDeviceAllInfo: %w", err)
		}
		addDisks(&r, disks)
		return nil
	})
	optional("/cgi-bin/configManager.cgi?action=getConfig&name=RecordMode", func(kv map[string]string) error {
		list, err := ParseDahuaRecordMode(kv)
		if err != nil {
			return probe.Errorf(probe.ReasonProtocol, "RecordMode: %w", err)
		}
		m := map[string]*ChannelState{}
		var order []string
		for i := range list {
			m[list[i].Channel] = &list[i]
			order = append(order, list[i].Channel)
		}
		addChannels(&r, m, order)
		return nil
	})
	sent := clock.Now()
	optional("/cgi-bin/global.cgi?action=getCurrentTime", func(kv map[string]string) error {
		dt, err := ParseDahuaTime(kv, c.loc())
		if err != nil {
			return probe.Errorf(probe.ReasonProtocol, "%w", err)
		}
		addClockOffset(&r, dt, sent, clock.Now())
		return nil
	})
	r.Err = joinErrs(errs)
	return r
}
