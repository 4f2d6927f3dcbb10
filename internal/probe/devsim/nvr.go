package devsim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Disk is one simulated hard disk.
type Disk struct {
	Status     string // Hikvision: ok, error, smartFailed…; Dahua: Success, Error…
	CapacityMB int64
	FreeMB     int64
}

// Channel is one simulated video channel.
type Channel struct {
	Online    bool
	Recording bool
}

// Device simulates the web API of a Hikvision (ISAPI) or Dahua (CGI) NVR or
// camera behind HTTP Digest auth. It is an http.Handler for httptest.
type Device struct {
	Vendor     string // "hikvision" or "dahua"
	User, Pass string
	Algorithm  string // MD5 (default) or SHA-256
	Model      string
	Serial     string
	Firmware   string
	Disks      []Disk
	Channels   []Channel
	// ClockAhead is how far the device clock runs ahead of Now.
	ClockAhead time.Duration
	Clock      clockwork.Clock // default the real clock
	// LegacyStorage answers 404 on /ISAPI/ContentMgmt/Storage/hdd so the client
	// must fall back to /ISAPI/ContentMgmt/storage (older firmware).
	LegacyStorage bool
	// Namespace of ISAPI answers; default http://www.hikvision.com/ver20/XMLSchema.
	Namespace string
	// Location of the Dahua clock (it answers local time without a zone).
	Location *time.Location

	mu   sync.Mutex
	reqs []string
	errs []string
}

const (
	httpNonce = "4e6f6e63652d64657673696d2d31"
	realmHik  = "DS-7608NI"
	realmDH   = "Login to 4L0A1B2PAZ00000"
)

// Requests returns "METHOD requestURI" of every authenticated request.
func (d *Device) Requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.reqs...)
}

// Errors returns what the device found wrong in requests.
func (d *Device) Errors() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.errs...)
}

func (d *Device) fail(format string, args ...any) {
	d.mu.Lock()
	d.errs = append(d.errs, fmt.Sprintf(format, args...))
	d.mu.Unlock()
}

func (d *Device) now() time.Time {
	if d.Clock != nil {
		return d.Clock.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (d *Device) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	alg := d.Algorithm
	if alg == "" {
		alg = "MD5"
	}
	realm := realmHik
	if d.Vendor == "dahua" {
		realm = realmDH
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		w.Header().Set("WWW-Authenticate", Challenge(realm, httpNonce, alg))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err := CheckDigest(auth, r.Method, r.RequestURI, d.User, d.Pass, realm, httpNonce, alg); err != nil {
		if d.Pass != "" {
			d.fail("%s %s: %v", r.Method, r.RequestURI, err)
		}
		w.Header().Set("WWW-Authenticate", Challenge(realm, httpNonce, alg))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		d.fail("method %s %s", r.Method, r.RequestURI)
		http.Error(w, "bad method", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	d.reqs = append(d.reqs, r.Method+" "+r.RequestURI)
	d.mu.Unlock()
	if d.Vendor == "dahua" {
		d.dahua(w, r)
		return
	}
	d.hikvision(w, r)
}

func (d *Device) ns() string {
	if d.Namespace != "" {
		return d.Namespace
	}
	return "http://www.hikvision.com/ver20/XMLSchema"
}

func (d *Device) hikvision(w http.ResponseWriter, r *http.Request) {
	xml := func(body string) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n%s\n", body)
	}
	ns := d.ns()
	switch r.RequestURI {
	case "/ISAPI/System/deviceInfo":
		xml(fmt.Sprintf(`<DeviceInfo version="2.0" xmlns="%s">
<deviceName>Network Video Recorder</deviceName>
<deviceID>48443030-3637-3534-3837-c42f90f1e2a0</deviceID>
<model>%s</model>
<serialNumber>%s</serialNumber>
<macAddress>c4:2f:90:f1:e2:a0</macAddress>
<firmwareVersion>%s</firmwareVersion>
<firmwareReleasedDate>build 200601</firmwareReleasedDate>
<deviceType>NVR</deviceType>
</DeviceInfo>`, ns, d.Model, d.Serial, d.Firmware))
	case "/ISAPI/ContentMgmt/Storage/hdd":
		if d.LegacyStorage {
			http.NotFound(w, r)
			return
		}
		xml(fmt.Sprintf(`<hddList version="2.0" xmlns="%s">%s</hddList>`, ns, d.hdds()))
	case "/ISAPI/ContentMgmt/storage":
		xml(fmt.Sprintf(`<storage version="2.0" xmlns="%s"><hddList>%s</hddList><nasList/></storage>`, ns, d.hdds()))
	case "/ISAPI/ContentMgmt/InputProxy/channels/status":
		var b strings.Builder
		for i, c := range d.Channels {
			fmt.Fprintf(&b, `<InputProxyChannelStatus version="2.0"><id>%d</id><sourceInputPortDescriptor><proxyProtocol>HIKVISION</proxyProtocol><ipAddress>192.168.254.%d</ipAddress><managePortNo>8000</managePortNo></sourceInputPortDescriptor><online>%t</online><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus>`, i+1, i+2, c.Online)
		}
		xml(fmt.Sprintf(`<InputProxyChannelStatusList version="2.0" xmlns="%s">%s</InputProxyChannelStatusList>`, ns, b.String()))
	case "/ISAPI/ContentMgmt/record/tracks":
		var b strings.Builder
		for i, c := range d.Channels {
			for _, stream := range []int{1, 2} {
				fmt.Fprintf(&b, `<Track version="2.0"><id>%d0%d</id><Channel>%d</Channel><Enable>%t</Enable><Description>trackType=standard,videoType=mixed,codecType=H.264-BP,resolution=1920x1080</Description><LoopEnable>true</LoopEnable><SrcDescriptor><SrcGUID>00000000-0000-0000-0000-000000000000</SrcGUID></SrcDescriptor></Track>`, i+1, stream, i+1, c.Recording)
			}
		}
		xml(fmt.Sprintf(`<TrackList version="2.0" xmlns="%s">%s</TrackList>`, ns, b.String()))
	case "/ISAPI/System/time":
		t := d.now().Add(d.ClockAhead).In(time.FixedZone("CST", 8*3600))
		xml(fmt.Sprintf(`<Time version="2.0" xmlns="%s"><timeMode>NTP</timeMode><localTime>%s</localTime><timeZone>CST-8:00:00</timeZone></Time>`, ns, t.Format("2006-01-02T15:04:05-07:00")))
	default:
		d.fail("unexpected request %s", r.RequestURI)
		http.NotFound(w, r)
	}
}

func (d *Device) hdds() string {
	var b strings.Builder
	for i, k := range d.Disks {
		fmt.Fprintf(&b, `<hdd version="2.0"><id>%d</id><hddName>hdd%d</hddName><hddPath></hddPath><hddType>SATA</hddType><status>%s</status><capacity>%d</capacity><freeSpace>%d</freeSpace><property>RW</property></hdd>`, i+1, i+1, k.Status, k.CapacityMB, k.FreeMB)
	}
	return b.String()
}

func (d *Device) dahua(w http.ResponseWriter, r *http.Request) {
	text := func(body string) {
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		strings.NewReplacer("\n", "\r\n").WriteString(w, body)
	}
	switch r.RequestURI {
	case "/cgi-bin/magicBox.cgi?action=getSystemInfo":
		text(fmt.Sprintf("appAutoStart=true\ndeviceType=%s\nhardwareVersion=1.00\nprocessor=HI3536\nserialNumber=%s\nupdateSerial=DHI-NVR4xxx\nupdateSerialCloudUpgrade=DHI-NVR4xxx:01:02:03:04:05:06\n", d.Model, d.Serial))
	case "/cgi-bin/storageDevice.cgi?action=getDeviceAllInfo":
		var b strings.Builder
		for i, k := range d.Disks {
			isErr := k.Status != "Success"
			fmt.Fprintf(&b, "list.info[%d].Detail[0].IsError=%t\nlist.info[%d].Detail[0].Path=/dev/sda%d\nlist.info[%d].Detail[0].TotalBytes=%d.000000\nlist.info[%d].Detail[0].Type=ReadWrite\nlist.info[%d].Detail[0].UsedBytes=%d.000000\nlist.info[%d].Name=/dev/sda%d\nlist.info[%d].State=%s\n",
				i, isErr, i, i+1, i, k.CapacityMB<<20, i, i, (k.CapacityMB-k.FreeMB)<<20, i, i+1, i, k.Status)
		}
		text(b.String())
	case "/cgi-bin/configManager.cgi?action=getConfig&name=RecordMode":
		var b strings.Builder
		for i, c := range d.Channels {
			mode := 2 // stopped
			if c.Recording {
				mode = 0 // by schedule
			}
			fmt.Fprintf(&b, "table.RecordMode[%d].Mode=%d\ntable.RecordMode[%d].ModeExtra1=2\n", i, mode, i)
		}
		text(b.String())
	case "/cgi-bin/global.cgi?action=getCurrentTime":
		loc := d.Location
		if loc == nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		text("result=" + d.now().Add(d.ClockAhead).In(loc).Format("2006-01-02 15:04:05") + "\n")
	default:
		d.fail("unexpected request %s", r.RequestURI)
		http.NotFound(w, r)
	}
}
