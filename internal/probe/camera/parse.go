package camera

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DeviceInfo is /ISAPI/System/deviceInfo or magicBox getSystemInfo.
type DeviceInfo struct {
	Model    string `xml:"model"`
	Serial   string `xml:"serialNumber"`
	Firmware string `xml:"firmwareVersion"`
	Type     string `xml:"deviceType"`
}

// Disk is one hard disk of an NVR.
type Disk struct {
	ID            string
	Status        string // as the device says, lower-cased
	OK            bool
	CapacityBytes float64
	FreeBytes     float64
}

// ChannelState is what is known of one video channel.
type ChannelState struct {
	Channel   string
	Online    *bool
	Recording *bool
}

func isXML(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '<'
}

func decodeXML(b []byte, root string, v any) error {
	if !isXML(b) {
		return fmt.Errorf("not XML: %q", clip(string(b)))
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", root, err)
	}
	return nil
}

// ParseISAPIDeviceInfo parses /ISAPI/System/deviceInfo.
func ParseISAPIDeviceInfo(b []byte) (DeviceInfo, error) {
	var v struct {
		XMLName xml.Name
		DeviceInfo
	}
	if err := decodeXML(b, "DeviceInfo", &v); err != nil {
		return DeviceInfo{}, err
	}
	if v.XMLName.Local != "DeviceInfo" {
		return DeviceInfo{}, fmt.Errorf("root element <%s>, want <DeviceInfo>", clip(v.XMLName.Local))
	}
	if v.Model == "" {
		return DeviceInfo{}, errors.New("DeviceInfo without <model>")
	}
	return v.DeviceInfo, nil
}

type isapiHDD struct {
	ID        string `xml:"id"`
	Name      string `xml:"hddName"`
	Status    string `xml:"status"`
	Capacity  string `xml:"capacity"`
	FreeSpace string `xml:"freeSpace"`
}

// hikDiskOK maps ISAPI hdd status to healthy: ok, and idle or sleeping disks
// (spun down, not faulty). Everything else (error, smartFailed, unformatted,
// mismatch, notexist, offline, reparing, formatting…) is not OK; the raw
// status stays available in roomwatch_nvr_disk_status_info.
func hikDiskOK(status string) bool {
	switch status {
	case "ok", "idle", "sleeping", "normal":
		return true
	}
	return false
}

// ParseISAPIStorage parses /ISAPI/ContentMgmt/Storage/hdd (<hddList>) or the
// older /ISAPI/ContentMgmt/storage (<storage><hddList>). Capacity and free
// space are in MB (MiB, as Centreon reads them).
func ParseISAPIStorage(b []byte) ([]Disk, error) {
	var v struct {
		XMLName xml.Name
		HDDs    []isapiHDD `xml:"hdd"`
		List    struct {
			HDDs []isapiHDD `xml:"hdd"`
		} `xml:"hddList"`
	}
	if err := decodeXML(b, "hddList", &v); err != nil {
		return nil, err
	}
	hdds := v.HDDs
	switch v.XMLName.Local {
	case "hddList":
	case "storage":
		hdds = v.List.HDDs
	default:
		return nil, fmt.Errorf("root element <%s>, want <hddList> or <storage>", clip(v.XMLName.Local))
	}
	var out []Disk
	for i, h := range hdds {
		id := strings.TrimSpace(h.ID)
		if id == "" {
			id = strconv.Itoa(i + 1)
		}
		st := strings.ToLower(strings.TrimSpace(h.Status))
		if st == "" {
			return nil, fmt.Errorf("hdd %s has no <status>", clip(id))
		}
		d := Disk{ID: id, Status: st, OK: hikDiskOK(st)}
		var err error
		if d.CapacityBytes, err = mb(h.Capacity); err != nil {
			return nil, fmt.Errorf("hdd %s capacity: %w", clip(id), err)
		}
		if d.FreeBytes, err = mb(h.FreeSpace); err != nil {
			return nil, fmt.Errorf("hdd %s freeSpace: %w", clip(id), err)
		}
		out = append(out, d)
	}
	return out, nil
}

func mb(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || n != n {
		return 0, fmt.Errorf("%q is not a size", clip(s))
	}
	return n * 1024 * 1024, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true/false", clip(s))
}

// ParseISAPIChannelStatus parses /ISAPI/ContentMgmt/InputProxy/channels/status
// (an NVR's per-camera online state).
func ParseISAPIChannelStatus(b []byte) ([]ChannelState, error) {
	var v struct {
		XMLName xml.Name
		List    []struct {
			ID     string `xml:"id"`
			Online string `xml:"online"`
		} `xml:"InputProxyChannelStatus"`
	}
	if err := decodeXML(b, "InputProxyChannelStatusList", &v); err != nil {
		return nil, err
	}
	if v.XMLName.Local != "InputProxyChannelStatusList" {
		return nil, fmt.Errorf("root element <%s>, want <InputProxyChannelStatusList>", clip(v.XMLName.Local))
	}
	var out []ChannelState
	for _, c := range v.List {
		on, err := parseBool(c.Online)
		if err != nil {
			return nil, fmt.Errorf("channel %s online: %w", clip(c.ID), err)
		}
		out = append(out, ChannelState{Channel: strings.TrimSpace(c.ID), Online: &on})
	}
	return out, nil
}

// ParseISAPITracks parses /ISAPI/ContentMgmt/record/tracks: the main-stream
// track of each channel (trackID = channel×100+1) says whether recording is
// enabled.
func ParseISAPITracks(b []byte) ([]ChannelState, error) {
	var v struct {
		XMLName xml.Name
		Tracks  []struct {
			ID      string `xml:"id"`
			Channel string `xml:"Channel"`
			Enable  string `xml:"Enable"`
		} `xml:"Track"`
	}
	if err := decodeXML(b, "TrackList", &v); err != nil {
		return nil, err
	}
	if v.XMLName.Local != "TrackList" {
		return nil, fmt.Errorf("root element <%s>, want <TrackList>", clip(v.XMLName.Local))
	}
	var out []ChannelState
	for _, tr := range v.Tracks {
		id, err := strconv.Atoi(strings.TrimSpace(tr.ID))
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("track id %q", clip(tr.ID))
		}
		if id%100 != 1 {
			continue // sub-streams
		}
		en, err := parseBool(tr.Enable)
		if err != nil {
			return nil, fmt.Errorf("track %d Enable: %w", id, err)
		}
		ch := strings.TrimSpace(tr.Channel)
		if ch == "" {
			ch = strconv.Itoa(id / 100)
		}
		out = append(out, ChannelState{Channel: ch, Recording: &en})
	}
	return out, nil
}

// ParseISAPITime parses /ISAPI/System/time: localTime is RFC 3339 with an
// offset, or local time without one plus a POSIX timeZone ("CST-8:00:00").
func ParseISAPITime(b []byte) (time.Time, error) {
	var v struct {
		XMLName   xml.Name
		LocalTime string `xml:"localTime"`
		TimeZone  string `xml:"timeZone"`
	}
	if err := decodeXML(b, "Time", &v); err != nil {
		return time.Time{}, err
	}
	lt := strings.TrimSpace(v.LocalTime)
	if t, err := time.Parse(time.RFC3339, lt); err == nil {
		return t, nil
	}
	off, err := posixOffset(v.TimeZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("localTime %q without offset: %w", clip(lt), err)
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", lt, time.FixedZone("device", off))
	if err != nil {
		return time.Time{}, fmt.Errorf("localTime %q: %w", clip(lt), err)
	}
	return t, nil
}

// posixOffset returns the UTC offset in seconds of a POSIX TZ such as
// "CST-8:00:00" (8 hours east of UTC: the sign is inverted).
func posixOffset(tz string) (int, error) {
	tz = strings.TrimSpace(tz)
	i := strings.IndexAny(tz, "+-0123456789")
	if i <= 0 {
		return 0, fmt.Errorf("time zone %q", clip(tz))
	}
	rest := tz[i:]
	sign := 1
	switch rest[0] {
	case '-':
		sign, rest = -1, rest[1:]
	case '+':
		rest = rest[1:]
	}
	if j := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != ':' }); j >= 0 {
		rest = rest[:j] // drop a DST part
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 || parts[0] == "" {
		return 0, fmt.Errorf("time zone %q", clip(tz))
	}
	secs, mult := 0, 3600
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 24*60 {
			return 0, fmt.Errorf("time zone %q", clip(tz))
		}
		secs += n * mult
		mult /= 60
	}
	if secs > 24*3600 {
		return 0, fmt.Errorf("time zone %q", clip(tz))
	}
	return -sign * secs, nil
}

// ParseKV parses Dahua CGI key=value lines. An HTML page, an "Error" line
// or a body without any key=value line is an error.
func ParseKV(b []byte) (map[string]string, error) {
	text := strings.TrimSpace(string(b))
	if text == "" {
		return nil, errors.New("empty answer")
	}
	if strings.HasPrefix(text, "<") {
		return nil, fmt.Errorf("HTML/XML instead of key=value: %q", clip(text))
	}
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if line == "Error" || strings.HasPrefix(line, "Error") && !strings.Contains(line, "=") {
			return nil, fmt.Errorf("device answered %q", clip(text))
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("line %q is not key=value", clip(line))
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// ParseDahuaStorage reads storageDevice.cgi?action=getDeviceAllInfo:
// list.info[i].Name, .State (Success when healthy) and per partition
// .Detail[j].IsError, .TotalBytes, .UsedBytes.
func ParseDahuaStorage(kv map[string]string) ([]Disk, error) {
	disks := map[int]*Disk{}
	for k, v := range kv {
		rest, ok := strings.CutPrefix(k, "list.info[")
		if !ok {
			continue
		}
		idxStr, field, ok := strings.Cut(rest, "]")
		if !ok {
			return nil, fmt.Errorf("key %q", clip(k))
		}
		idx, err := strconv.Atoi(idxStr)
		if err != nil || idx < 0 || idx > 1024 {
			return nil, fmt.Errorf("key %q: bad index", clip(k))
		}
		d := disks[idx]
		if d == nil {
			d = &Disk{ID: strconv.Itoa(idx + 1), OK: true}
			disks[idx] = d
		}
		field = strings.TrimPrefix(field, ".")
		switch {
		case field == "State":
			d.Status = strings.ToLower(v)
		case strings.HasPrefix(field, "Detail[") && strings.HasSuffix(field, "].IsError"):
			bad, err := parseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", clip(k), err)
			}
			if bad {
				d.OK = false
			}
		case strings.HasPrefix(field, "Detail[") && strings.HasSuffix(field, "].TotalBytes"):
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 || n != n {
				return nil, fmt.Errorf("%s: %q is not a size", clip(k), clip(v))
			}
			d.CapacityBytes += n
		case strings.HasPrefix(field, "Detail[") && strings.HasSuffix(field, "].UsedBytes"):
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 || n != n {
				return nil, fmt.Errorf("%s: %q is not a size", clip(k), clip(v))
			}
			d.FreeBytes -= n // turned into free below
		}
	}
	idx := make([]int, 0, len(disks))
	for i := range disks {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]Disk, 0, len(idx))
	for _, i := range idx {
		d := disks[i]
		used := -d.FreeBytes
		d.FreeBytes = d.CapacityBytes - used
		if d.FreeBytes < 0 {
			d.FreeBytes = 0
		}
		if d.Status == "" {
			return nil, fmt.Errorf("disk %d has no State", i)
		}
		if d.Status != "success" {
			d.OK = false
		}
		out = append(out, *d)
	}
	return out, nil
}

// ParseDahuaRecordMode reads configManager getConfig&name=RecordMode:
// table.RecordMode[i].Mode is 0 (by schedule), 1 (manual, always) or 2 (off).
func ParseDahuaRecordMode(kv map[string]string) ([]ChannelState, error) {
	var out []ChannelState
	for k, v := range kv {
		rest, ok := strings.CutPrefix(k, "table.RecordMode[")
		if !ok || !strings.HasSuffix(rest, "].Mode") {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSuffix(rest, "].Mode"))
		if err != nil || idx < 0 || idx > 4096 {
			return nil, fmt.Errorf("key %q", clip(k))
		}
		mode, err := strconv.Atoi(v)
		if err != nil || mode < 0 || mode > 2 {
			return nil, fmt.Errorf("%s=%q: want 0, 1 or 2", clip(k), clip(v))
		}
		on := mode != 2
		out = append(out, ChannelState{Channel: strconv.Itoa(idx + 1), Recording: &on})
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].Channel)
		b, _ := strconv.Atoi(out[j].Channel)
		return a < b
	})
	return out, nil
}

// ParseDahuaTime reads global.cgi getCurrentTime ("result=2026-11-22 19:11:00",
// the device's local time) in loc.
func ParseDahuaTime(kv map[string]string, loc *time.Location) (time.Time, error) {
	s, ok := kv["result"]
	if !ok {
		return time.Time{}, errors.New("getCurrentTime: no result=")
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("getCurrentTime %q: %w", clip(s), err)
	}
	return t, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
