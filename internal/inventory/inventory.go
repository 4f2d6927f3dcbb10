// Package inventory describes the monitored estate: sites and devices with their
// class, address (or address range for camera fleets), probe profile, location and
// credentials. It is read from YAML by the collector and by agents that probe the
// devices of their own site. Secrets are held in Secret values, which never print.
package inventory

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// Class is a device class; the names match shared/domain.md's device table.
type Class string

// Device classes.
const (
	ClassServer     Class = "server"
	ClassSwitch     Class = "switch"
	ClassRouter     Class = "router"
	ClassFirewall   Class = "firewall"
	ClassUPS        Class = "ups"
	ClassAC         Class = "ac"
	ClassEnv        Class = "env"
	ClassNVR        Class = "nvr"
	ClassCamera     Class = "camera"
	ClassCheckpoint Class = "checkpoint"
	ClassRadio      Class = "radio"
	ClassPrinter    Class = "printer"
	ClassStorage    Class = "storage"
)

// classNames maps each class to its Chinese name, as shown on screen.
var classNames = map[Class]string{
	ClassServer: "服务器", ClassSwitch: "交换机", ClassRouter: "路由器", ClassFirewall: "防火墙",
	ClassUPS: "UPS不间断电源", ClassAC: "精密空调", ClassEnv: "动力环境监控", ClassNVR: "硬盘录像机",
	ClassCamera: "摄像机", ClassCheckpoint: "卡口", ClassRadio: "350M基站", ClassPrinter: "打印机",
	ClassStorage: "存储",
}

// Classes returns every known class.
func Classes() []Class {
	return []Class{ClassServer, ClassSwitch, ClassRouter, ClassFirewall, ClassUPS, ClassAC, ClassEnv,
		ClassNVR, ClassCamera, ClassCheckpoint, ClassRadio, ClassPrinter, ClassStorage}
}

// ChineseName returns the class's Chinese name, or the class itself if unknown.
func (c Class) ChineseName() string {
	if n, ok := classNames[c]; ok {
		return n
	}
	return string(c)
}

// Valid reports whether c is a known class.
func (c Class) Valid() bool { _, ok := classNames[c]; return ok }

// Secret is a password, community or token. It prints as "<secret>" in logs,
// errors, fmt verbs and YAML/JSON output; Reveal returns the value.
type Secret string

const redacted = "<secret>"

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer (the %#v verb).
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Format implements fmt.Formatter so that every verb, %s %v %q %x, is redacted.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// SNMP holds how to talk SNMP to a device. Either the fields are set inline or
// Credential names an entry of Inventory.Credentials.
type SNMP struct {
	Version        string          `yaml:"version"` // "1", "2c" (default), "3"
	Port           int             `yaml:"port"`    // default 161, or the port in Device.Address
	Community      Secret          `yaml:"community"`
	Credential     string          `yaml:"credential"`
	Username       string          `yaml:"username"`
	SecurityLevel  string          `yaml:"security_level"` // noAuthNoPriv, authNoPriv, authPriv
	AuthProtocol   string          `yaml:"auth_protocol"`  // MD5, SHA, SHA224, SHA256, SHA384, SHA512
	AuthPassword   Secret          `yaml:"auth_password"`
	PrivProtocol   string          `yaml:"priv_protocol"` // DES, AES, AES192, AES256, AES192C, AES256C
	PrivPassword   Secret          `yaml:"priv_password"`
	ContextName    string          `yaml:"context_name"`
	Timeout        config.Duration `yaml:"timeout"`
	Retries        *int            `yaml:"retries"`
	MaxRepetitions uint32          `yaml:"max_repetitions"`
}

// HTTPAuth holds credentials for HTTP, ISAPI, CGI and RTSP checks.
type HTTPAuth struct {
	Credential string `yaml:"credential"`
	Username   string `yaml:"username"`
	Password   Secret `yaml:"password"`
}

// ProbeOptions tunes the network and camera checks of one device; zero values
// take the defaults documented in docs/probes.md (ports by vendor, the main
// stream's RTSP path, TLS verification on).
type ProbeOptions struct {
	TCPPorts   []int  `yaml:"tcp_ports"`   // tcp check; default: the port in address, else 80 and 554
	HTTPScheme string `yaml:"http_scheme"` // http (default) or https, for http/isapi/dahua
	HTTPPort   int    `yaml:"http_port"`
	HTTPPath   string `yaml:"http_path"` // http check; default "/"
	// InsecureSkipVerify accepts self-signed device certificates (most cameras have one).
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	RTSPPort           int    `yaml:"rtsp_port"`   // default 554
	RTSPPath           string `yaml:"rtsp_path"`   // default by vendor: /Streaming/Channels/101, /cam/realmonitor?channel=1&subtype=0
	UploadDir          string `yaml:"upload_dir"`  // checkpoint: where its captures land on this machine
	CaptureURL         string `yaml:"capture_url"` // checkpoint: URL whose Last-Modified or body time is the newest capture
}

// Credential is a named, reusable set of secrets referenced by devices.
type Credential struct {
	SNMP *SNMP     `yaml:"snmp"`
	HTTP *HTTPAuth `yaml:"http"`
}

// Site is a place: the central machine room, a detention centre, a police station.
type Site struct {
	Name        string `yaml:"name"`
	DisplayName string `yaml:"display_name"`
	Address     string `yaml:"address"`
}

// VendorKey normalises an inventory vendor name to "hikvision" or "dahua"
// (in English or Chinese, any case), else the lower-cased, trimmed input: the
// key the probes choose a camera API by.
func VendorKey(v string) string {
	l := strings.ToLower(strings.TrimSpace(v))
	switch {
	case strings.Contains(l, "hik") || strings.Contains(l, "海康"):
		return "hikvision"
	case strings.Contains(l, "dahua") || strings.Contains(l, "大华"):
		return "dahua"
	}
	return l
}

// Device is one monitored thing, or a fleet of alike things given by Range.
type Device struct {
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"display_name"`
	Class       Class             `yaml:"class"`
	Address     string            `yaml:"address"` // host or host:port
	Range       string            `yaml:"range"`   // CIDR or first-last, for fleets
	Profile     string            `yaml:"profile"` // SNMP profile; empty = by sysObjectID
	Vendor      string            `yaml:"vendor"`
	Model       string            `yaml:"model"`
	Site        string            `yaml:"site"`
	Room        string            `yaml:"room"`
	Rack        string            `yaml:"rack"`
	Location    string            `yaml:"location"`
	Parent      string            `yaml:"parent"` // uplink switch, NVR: for correlation
	Tier        string            `yaml:"tier"`
	Owner       string            `yaml:"owner"`
	Probes      []string          `yaml:"probes"` // probe names; empty = the class's defaults
	SNMP        *SNMP             `yaml:"snmp"`
	HTTP        *HTTPAuth         `yaml:"http"`
	Interval    config.Duration   `yaml:"interval"`
	Timeout     config.Duration   `yaml:"timeout"`
	Labels      map[string]string `yaml:"labels"`
	Probe       ProbeOptions      `yaml:"probe_options"` // tuning for the tcp/http/rtsp/camera probes

	// OldChecks and OldProbe are what Probes and Probe were called in the
	// files of earlier releases (`checks:`, `probe:`), before "probe" became
	// the one word for what runs against a device. ApplyDefaults moves them
	// and Deprecations reports them; read for one release.
	OldChecks []string      `yaml:"checks"`
	OldProbe  *ProbeOptions `yaml:"probe"`
	renamed   []string

	line int // where the device starts in its file, for errors
}

// UnmarshalYAML records the device's line for later validation messages.
func (d *Device) UnmarshalYAML(node *yaml.Node) error {
	type plain Device
	if err := node.Decode((*plain)(d)); err != nil {
		return err
	}
	d.line = node.Line
	return nil
}

// applyRenames moves the old spellings into the new fields when only the old
// one is set (Validate refuses both).
func (d *Device) applyRenames() {
	if len(d.OldChecks) > 0 && len(d.Probes) == 0 {
		d.Probes, d.OldChecks = d.OldChecks, nil
		d.renamed = append(d.renamed, "checks is renamed probes")
	}
	if d.OldProbe != nil && reflect.ValueOf(d.Probe).IsZero() {
		d.Probe, d.OldProbe = *d.OldProbe, nil
		d.renamed = append(d.renamed, "probe is renamed probe_options")
	}
}

// Deprecations lists, per device, the old spellings the inventory was
// written with, for a warning at start.
func (inv *Inventory) Deprecations() []string {
	var out []string
	for i := range inv.Devices {
		d := &inv.Devices[i]
		for _, r := range d.renamed {
			out = append(out, fmt.Sprintf("line %d: device %s: %s; the old name is read for one release", d.line, d.Name, r))
		}
	}
	return out
}

// Line returns the line of the file the device was declared on (0 if unknown).
func (d *Device) Line() int { return d.line }

// Inventory is the whole estate.
type Inventory struct {
	Sites       []Site                `yaml:"sites"`
	Credentials map[string]Credential `yaml:"credentials"`
	Devices     []Device              `yaml:"devices"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

// MaxRangeSize bounds how many addresses one Range may expand to.
const MaxRangeSize = 1 << 20

// ApplyDefaults implements config.Defaulter: it resolves the credential
// references of the devices into their SNMP and HTTP settings (a device's own
// port, timeout and retries win). A reference to a missing credential is left
// for Validate to report.
func (inv *Inventory) ApplyDefaults() {
	for i := range inv.Devices {
		d := &inv.Devices[i]
		d.applyRenames()
		if s, ok := inv.snmpOf(d); ok {
			d.SNMP = s
		}
		if d.HTTP != nil && d.HTTP.Credential != "" {
			if c, ok := inv.Credentials[d.HTTP.Credential]; ok && c.HTTP != nil {
				merged := *c.HTTP
				d.HTTP = &merged
			}
		}
	}
}

// snmpOf returns d's SNMP settings with its credential reference resolved;
// false when d has no reference or it names no SNMP credential.
func (inv *Inventory) snmpOf(d *Device) (*SNMP, bool) {
	if d.SNMP == nil || d.SNMP.Credential == "" {
		return nil, false
	}
	c, ok := inv.Credentials[d.SNMP.Credential]
	if !ok || c.SNMP == nil {
		return nil, false
	}
	merged := *c.SNMP
	if d.SNMP.Port != 0 {
		merged.Port = d.SNMP.Port
	}
	if d.SNMP.Timeout != 0 {
		merged.Timeout = d.SNMP.Timeout
	}
	if d.SNMP.Retries != nil {
		merged.Retries = d.SNMP.Retries
	}
	return &merged, true
}

// Validate implements config.Validator (after ApplyDefaults): it checks
// names, classes, addresses, ranges and credential references.
func (inv *Inventory) Validate() error {
	sites := map[string]bool{}
	for _, s := range inv.Sites {
		if s.Name == "" {
			return &config.LineError{Msg: "a site has no name"}
		}
		sites[s.Name] = true
	}
	seen := map[string]int{}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		at := func(format string, args ...any) error {
			return &config.LineError{Line: d.line, Msg: fmt.Sprintf("device %q: ", d.Name) + fmt.Sprintf(format, args...)}
		}
		if d.Name == "" {
			return &config.LineError{Line: d.line, Msg: "device has no name"}
		}
		if !nameRE.MatchString(d.Name) {
			return at("name may hold only letters, digits and . _ : - (put Chinese in display_name)")
		}
		if prev, dup := seen[d.Name]; dup {
			return at("name already used at line %d", prev)
		}
		seen[d.Name] = d.line
		if len(d.OldChecks) > 0 {
			return at("has both probes and checks: keep only probes (checks is its old name)")
		}
		if d.OldProbe != nil {
			return at("has both probe_options and probe: keep only probe_options (probe is its old name)")
		}
		if !d.Class.Valid() {
			return at("unknown class %q (known: %s)", d.Class, classList())
		}
		switch {
		case d.Address == "" && d.Range == "":
			return at("needs an address or a range")
		case d.Address != "" && d.Range != "":
			return at("has both address and range: give one")
		case d.Range != "":
			n, err := rangeSize(d.Range)
			if err != nil {
				return at("%v", err)
			}
			if n > MaxRangeSize {
				return at("range holds %d addresses, more than %d", n, MaxRangeSize)
			}
		}
		if d.Site != "" && len(sites) > 0 && !sites[d.Site] {
			return at("site %q is not among the sites", d.Site)
		}
		if err := inv.checkCredentials(d); err != nil {
			return at("%v", err)
		}
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if d.Parent != "" {
			if _, ok := seen[d.Parent]; !ok {
				return &config.LineError{Line: d.line, Msg: fmt.Sprintf("device %q: parent %q is not a device", d.Name, d.Parent)}
			}
		}
	}
	return nil
}

func classList() string {
	var names []string
	for _, c := range Classes() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// checkCredentials checks d's credential references and its SNMP settings
// as they are once the references are resolved.
func (inv *Inventory) checkCredentials(d *Device) error {
	s := d.SNMP
	if s != nil && s.Credential != "" {
		var ok bool
		if s, ok = inv.snmpOf(d); !ok {
			return fmt.Errorf("snmp credential %q is not defined under credentials", d.SNMP.Credential)
		}
	}
	if d.HTTP != nil && d.HTTP.Credential != "" {
		if c, ok := inv.Credentials[d.HTTP.Credential]; !ok || c.HTTP == nil {
			return fmt.Errorf("http credential %q is not defined under credentials", d.HTTP.Credential)
		}
	}
	if s != nil {
		switch s.Version {
		case "", "2c", "2", "1":
		case "3":
			if s.Username == "" {
				return fmt.Errorf("snmp v3 needs a username")
			}
		default:
			return fmt.Errorf("snmp version %q: use 1, 2c or 3", s.Version)
		}
	}
	return nil
}

// Target is one address to probe: a single device, or one member of a Range.
type Target struct {
	Device  *Device
	Name    string // the device name, or "<name>/<ip>" for a range member
	Address string
}

// Targets expands every device, ranges included, into probe targets.
func (inv *Inventory) Targets() ([]Target, error) {
	var out []Target
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if d.Range == "" {
			out = append(out, Target{Device: d, Name: d.Name, Address: d.Address})
			continue
		}
		err := expandRange(d.Range, func(a netip.Addr) {
			out = append(out, Target{Device: d, Name: d.Name + "/" + a.String(), Address: a.String()})
		})
		if err != nil {
			return nil, fmt.Errorf("device %q: %w", d.Name, err)
		}
	}
	return out, nil
}

// rangeSize returns how many addresses a range holds.
func rangeSize(r string) (int, error) {
	n := 0
	err := expandRange(r, func(netip.Addr) { n++ }, MaxRangeSize+1)
	return n, err
}

// expandRange calls fn for every address of a CIDR ("127.1.0.0/24") or a
// first–last range ("127.1.0.1-127.1.39.16"), stopping after limit[0] if given.
func expandRange(r string, fn func(netip.Addr), limit ...int) error {
	max := MaxRangeSize + 1
	if len(limit) > 0 {
		max = limit[0]
	}
	var first, last netip.Addr
	if strings.Contains(r, "/") {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		if err != nil {
			return fmt.Errorf("range %q: %w", r, err)
		}
		p = p.Masked()
		first, last = p.Addr(), lastAddr(p)
	} else {
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			return fmt.Errorf("range %q: write a CIDR (10.0.0.0/24) or first-last (10.0.0.1-10.0.0.200)", r)
		}
		var err error
		if first, err = netip.ParseAddr(strings.TrimSpace(lo)); err != nil {
			return fmt.Errorf("range %q: %w", r, err)
		}
		if last, err = netip.ParseAddr(strings.TrimSpace(hi)); err != nil {
			return fmt.Errorf("range %q: %w", r, err)
		}
		if first.Is4() != last.Is4() || last.Less(first) {
			return fmt.Errorf("range %q: the last address must follow the first, in the same family", r)
		}
	}
	n := 0
	for a := first; a.IsValid() && !last.Less(a); a = a.Next() {
		if n++; n > max {
			return nil
		}
		fn(a)
	}
	return nil
}

// lastAddr returns the highest address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
