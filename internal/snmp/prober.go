package snmp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// System group scalars, fetched first from every device to choose its profiles.
const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	oidSysUpTime   = "1.3.6.1.2.1.1.3.0"
	oidSysName     = "1.3.6.1.2.1.1.5.0"
)

// Options configure a Prober. Zero values take the defaults noted.
type Options struct {
	// Profiles is required (LoadProfiles("rules/profiles")).
	Profiles *ProfileSet
	Logger   *slog.Logger    // default slog.Default()
	Clock    clockwork.Clock // default the real clock; stamps Result.Start/Duration
	Timeout  time.Duration   // per request, unless the device's snmp.timeout says otherwise; default 2s
	// Retries per request unless the device's snmp.retries says otherwise:
	// 0 (unset) means DefaultRetries, a negative value none.
	Retries int
	// MaxRepetitions is the GETBULK max-repetitions unless the device sets
	// snmp.max_repetitions; default 25.
	MaxRepetitions uint32
	// MaxVarbinds caps columns × repetitions in one GETBULK; default 300.
	MaxVarbinds int
	// GetBatch is how many scalar OIDs go into one GET; default 40.
	GetBatch int
}

// Prober polls devices over SNMP. It is safe for concurrent use: every Probe
// call has its own socket, timeout and retries.
// DefaultRetries is how often a request is re-sent after a timeout when
// neither the Prober's options nor the device say (docs/profiles.md). Before
// this constant the zero value meant none, so the collector polled with no
// retry although the docs said one.
const DefaultRetries = 1

type Prober struct {
	opts  Options
	log   *slog.Logger
	clock clockwork.Clock
	plans sync.Map // key: joined profile names → *plan

	requests atomic.Int64
}

// NewProber returns a Prober for opts.
func NewProber(opts Options) (*Prober, error) {
	if opts.Profiles == nil {
		return nil, errors.New("snmp: Options.Profiles is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = DefaultRetries
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.MaxRepetitions == 0 {
		opts.MaxRepetitions = 25
	}
	if opts.MaxVarbinds <= 0 {
		opts.MaxVarbinds = 300
	}
	if opts.GetBatch <= 0 {
		opts.GetBatch = 40
	}
	return &Prober{opts: opts, log: opts.Logger.With("probe", "snmp"), clock: opts.Clock}, nil
}

// Requests returns how many request packets (retries included) the Prober has sent.
func (p *Prober) Requests() int64 { return p.requests.Load() }

// plan is a set of profiles compiled into what to fetch.
type plan struct {
	profiles []*Profile
	scalars  []string // GET, excluding the system group already fetched
	columns  []string // walked in the first pass
	// fallbacks maps a primary column to its fallback column: walked when
	// the primary returned no row, else fetched (GET) for the rows the
	// primary lacks.
	fallbacks map[string]string
	// tableCols maps a primary column with a fallback to every column of
	// its table(s), whose rows are the rows the fallback may fill in.
	tableCols map[string][]string
}

func (p *Prober) compile(ps []*Profile) *plan {
	names := make([]string, len(ps))
	for i, pr := range ps {
		names[i] = pr.Name
	}
	key := strings.Join(names, ",")
	if v, ok := p.plans.Load(key); ok {
		return v.(*plan)
	}
	pl := &plan{profiles: ps, fallbacks: map[string]string{}, tableCols: map[string][]string{}}
	scalars := map[string]bool{}
	columns := map[string]bool{}
	sys := map[string]bool{oidSysDescr: true, oidSysObjectID: true, oidSysUpTime: true, oidSysName: true}
	addScalar := func(o string) {
		if o != "" && !sys[o] {
			scalars[o] = true
		}
	}
	for _, pr := range ps {
		addScalar(pr.Model)
		for _, m := range pr.Scalars {
			addScalar(m.OID)
			addScalar(m.Fallback)
			addScalar(m.DivideBy)
			addScalar(m.TotalWith)
		}
		for _, in := range pr.Info {
			for _, l := range in.Labels {
				addScalar(l.OID)
			}
		}
		for _, t := range pr.Tables {
			for _, l := range t.Labels {
				columns[l.OID] = true
			}
			for _, f := range t.Filter {
				columns[f.OID] = true
			}
			for _, m := range t.Metrics {
				columns[m.OID] = true
				if m.DivideBy != "" {
					columns[m.DivideBy] = true
				}
				if m.TotalWith != "" {
					columns[m.TotalWith] = true
				}
				if m.Fallback != "" {
					pl.fallbacks[m.OID] = m.Fallback
				}
			}
			for _, m := range t.Metrics {
				if m.Fallback == "" {
					continue
				}
				for _, l := range t.Labels {
					pl.tableCols[m.OID] = append(pl.tableCols[m.OID], l.OID)
				}
				for _, mm := range t.Metrics {
					pl.tableCols[m.OID] = append(pl.tableCols[m.OID], mm.OID)
				}
			}
		}
	}
	for o := range scalars {
		pl.scalars = append(pl.scalars, o)
	}
	for o := range columns {
		pl.columns = append(pl.columns, o)
	}
	sort.Slice(pl.scalars, func(i, j int) bool { return compareOID(pl.scalars[i], pl.scalars[j]) < 0 })
	sort.Slice(pl.columns, func(i, j int) bool { return compareOID(pl.columns[i], pl.columns[j]) < 0 })
	v, _ := p.plans.LoadOrStore(key, pl)
	return v.(*plan)
}

// Probe polls one target. It returns by ctx's deadline; a device that does
// not answer costs its own timeout × (retries+1) and no one else's.
func (p *Prober) Probe(ctx context.Context, target inventory.Target) probe.Result {
	start := p.clock.Now()
	res := probe.Result{Target: target, Probe: "snmp", Start: start}
	sess, err := p.session(ctx, target)
	var failed *session
	if err == nil {
		err = p.poll(ctx, sess, target, &res)
		p.requests.Add(int64(sess.sent))
		res.Add("roomwatch_snmp_requests", probe.Gauge, float64(sess.sent),
			"SNMP request packets the last poll sent, retries included.", nil)
		_ = sess.g.Conn.Close()
		failed = sess
	}
	if err != nil {
		res.Err = fmt.Errorf("snmp %s (%s): %w", target.Name, target.Address, describe(err, failed))
	}
	res.Duration = p.clock.Since(start)
	return res
}

// session builds the client for a target from its inventory SNMP settings.
func (p *Prober) session(ctx context.Context, target inventory.Target) (*session, error) {
	var cfg inventory.SNMP
	if target.Device != nil && target.Device.SNMP != nil {
		cfg = *target.Device.SNMP
	}
	host, port := target.Address, 161
	if h, ps, err := net.SplitHostPort(target.Address); err == nil {
		host = h
		n, err := strconv.Atoi(ps)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("bad port in address %q", target.Address)
		}
		port = n
	}
	if cfg.Port != 0 {
		port = cfg.Port
	}
	timeout := p.opts.Timeout
	if cfg.Timeout > 0 {
		timeout = cfg.Timeout.Std()
	}
	retries := p.opts.Retries
	if cfg.Retries != nil {
		retries = max(0, *cfg.Retries)
	}
	maxRep := p.opts.MaxRepetitions
	if cfg.MaxRepetitions > 0 {
		maxRep = cfg.MaxRepetitions
	}
	g := &gosnmp.GoSNMP{
		Target:         host,
		Port:           uint16(port),
		Transport:      "udp",
		Community:      "public",
		Version:        gosnmp.Version2c,
		Context:        ctx,
		Timeout:        timeout,
		Retries:        retries,
		MaxOids:        1 << 16,
		MaxRepetitions: maxRep,
	}
	if cfg.Community != "" {
		g.Community = cfg.Community.Reveal()
	}
	switch cfg.Version {
	case "", "2c", "2":
	case "1":
		g.Version = gosnmp.Version1
	case "3":
		if err := v3Params(g, cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("snmp version %q: use 1, 2c or 3", cfg.Version)
	}
	s := &session{g: g, maxRep: int(maxRep), maxVarbinds: p.opts.MaxVarbinds, getBatch: p.opts.GetBatch}
	g.OnSent = func(*gosnmp.GoSNMP) { s.sent++ }
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return s, nil
}

// v3Params sets the USM parameters from the inventory.
func v3Params(g *gosnmp.GoSNMP, cfg inventory.SNMP) error {
	g.Version = gosnmp.Version3
	g.SecurityModel = gosnmp.UserSecurityModel
	g.ContextName = cfg.ContextName
	usm := &gosnmp.UsmSecurityParameters{UserName: cfg.Username}
	level := strings.ToLower(cfg.SecurityLevel)
	if level == "" {
		switch {
		case cfg.PrivPassword != "":
			level = "authpriv"
		case cfg.AuthPassword != "":
			level = "authnopriv"
		default:
			level = "noauthnopriv"
		}
	}
	authProtos := map[string]gosnmp.SnmpV3AuthProtocol{
		"": gosnmp.SHA, "MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA1": gosnmp.SHA, "SHA224": gosnmp.SHA224,
		"SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
	}
	privProtos := map[string]gosnmp.SnmpV3PrivProtocol{
		"": gosnmp.AES, "DES": gosnmp.DES, "AES": gosnmp.AES, "AES128": gosnmp.AES, "AES192": gosnmp.AES192,
		"AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
	}
	switch level {
	case "noauthnopriv":
		g.MsgFlags = gosnmp.NoAuthNoPriv
	case "authnopriv", "authpriv":
		ap, ok := authProtos[strings.ToUpper(cfg.AuthProtocol)]
		if !ok {
			return fmt.Errorf("snmp auth_protocol %q: use MD5, SHA, SHA224, SHA256, SHA384 or SHA512", cfg.AuthProtocol)
		}
		if cfg.AuthPassword == "" {
			return errors.New("snmp v3 " + level + " needs auth_password")
		}
		usm.AuthenticationProtocol = ap
		usm.AuthenticationPassphrase = cfg.AuthPassword.Reveal()
		g.MsgFlags = gosnmp.AuthNoPriv
		if level == "authpriv" {
			pp, ok := privProtos[strings.ToUpper(cfg.PrivProtocol)]
			if !ok {
				return fmt.Errorf("snmp priv_protocol %q: use DES, AES, AES192, AES256, AES192C or AES256C", cfg.PrivProtocol)
			}
			if cfg.PrivPassword == "" {
				return errors.New("snmp v3 authPriv needs priv_password")
			}
			usm.PrivacyProtocol = pp
			usm.PrivacyPassphrase = cfg.PrivPassword.Reveal()
			g.MsgFlags = gosnmp.AuthPriv
		}
	default:
		return fmt.Errorf("snmp security_level %q: use noAuthNoPriv, authNoPriv or authPriv", cfg.SecurityLevel)
	}
	g.SecurityParameters = usm
	return nil
}

// poll fetches the system group, then the chosen profiles' OIDs, and evaluates.
func (p *Prober) poll(ctx context.Context, s *session, target inventory.Target, res *probe.Result) error {
	d := NewData()
	if err := s.get(ctx, []string{oidSysDescr, oidSysObjectID, oidSysUpTime, oidSysName}, d.Scalars); err != nil {
		return err
	}
	sysDescr := pduText(d.Scalars[oidSysDescr])
	sysOID := pduText(d.Scalars[oidSysObjectID])
	sysName := pduText(d.Scalars[oidSysName])
	explicit := ""
	if target.Device != nil {
		explicit = target.Device.Profile
	}
	profiles, err := p.opts.Profiles.Select(explicit, sysOID, sysDescr)
	if err != nil {
		return err
	}
	pl := p.compile(profiles)
	if err := s.get(ctx, pl.scalars, d.Scalars); err != nil {
		return err
	}
	first := pl.columns
	if s.g.Version == gosnmp.Version1 {
		// Counter64 does not exist in SNMPv1: walk the fallbacks straight away.
		first = make([]string, 0, len(pl.columns))
		for _, c := range pl.columns {
			if fb, ok := pl.fallbacks[c]; ok {
				c = fb
			}
			first = append(first, c)
		}
	}
	if err := s.walkColumns(ctx, first, d); err != nil {
		return err
	}
	if s.g.Version != gosnmp.Version1 {
		if err := p.fillFallbacks(ctx, s, pl, d); err != nil {
			return err
		}
	}

	vendor, model, names := "", "", make([]string, 0, len(profiles))
	var errs []error
	for _, pr := range profiles {
		names = append(names, pr.Name)
		if pr.Vendor != "" {
			vendor = pr.Vendor
		}
		if pr.Model != "" {
			if m := pduText(d.Scalars[pr.Model]); m != "" {
				model = m
			}
		}
		samples, e := Evaluate(pr, d)
		res.Samples = append(res.Samples, samples...)
		errs = append(errs, e...)
	}
	res.Vendor, res.Model = vendor, model
	res.Add("roomwatch_device_reported_info", probe.Info, 1,
		"What the device says it is (value 1): vendor and model as detected (SNMP profile, camera and NVR APIs), serial, firmware, and SNMP sysName, sysDescr, sysObjectID and profiles applied.",
		map[string]string{"reported_vendor": vendor, "reported_model": model, "sys_name": sysName,
			"sys_descr": truncate(sysDescr, 128), "sys_object_id": sysOID, "profiles": strings.Join(names, ",")})
	res.Add("roomwatch_snmp_value_errors", probe.Gauge, float64(len(errs)),
		"Values in the last poll that the device's profile could not use (wrong type, text for a number).", nil)
	for _, ce := range s.colErrs {
		res.Add("roomwatch_snmp_column_error_info", probe.Info, 1,
			"A column (or scalar) the agent refused in the last poll with an error status (noAccess, genErr…): value 1; its values are missing, the rest of the device's data is reported.",
			map[string]string{"oid": ce.OID, "status": ce.Status.String()})
	}
	if len(s.colErrs) > 0 {
		p.log.Warn("SNMP columns refused", "device", target.Name, "count", len(s.colErrs), "first", &s.colErrs[0])
	}
	if len(errs) > 0 {
		p.log.Warn("unusable SNMP values", "device", target.Name, "count", len(errs), "first", errs[0])
	}
	return nil
}

// fillFallbacks reads the 32-bit (or other) fallback columns on SNMPv2c/v3:
// a fallback whose primary column returned no row is walked; otherwise the
// rows of the table that the primary lacks (an interface without ifHC*
// counters among ones that have them) are fetched with GET, so each row
// falls back on its own. Rows that already have the primary are not read.
func (p *Prober) fillFallbacks(ctx context.Context, s *session, pl *plan, d *Data) error {
	prims := make([]string, 0, len(pl.fallbacks))
	for col := range pl.fallbacks {
		prims = append(prims, col)
	}
	sort.Slice(prims, func(i, j int) bool { return compareOID(prims[i], prims[j]) < 0 })
	var walk, get []string
	for _, col := range prims {
		fb := pl.fallbacks[col]
		if len(d.Columns[fb]) > 0 {
			continue
		}
		if len(d.Columns[col]) == 0 {
			walk = append(walk, fb)
			continue
		}
		for _, idx := range missingRows(d, col, fb, pl.tableCols[col]) {
			get = append(get, fb+"."+idx)
		}
	}
	if len(walk) > 0 {
		sort.Slice(walk, func(i, j int) bool { return compareOID(walk[i], walk[j]) < 0 })
		walk = slices.Compact(walk)
		if err := s.walkColumns(ctx, walk, d); err != nil {
			return err
		}
	}
	if len(get) == 0 {
		return nil
	}
	got := map[string]gosnmp.SnmpPDU{}
	if err := s.get(ctx, get, got); err != nil {
		return err
	}
	fbs := make([]string, 0, len(pl.fallbacks))
	for _, fb := range pl.fallbacks {
		fbs = append(fbs, fb)
	}
	for oid, pdu := range got {
		if absent(pdu) {
			continue
		}
		for _, fb := range fbs {
			if idx, ok := strings.CutPrefix(oid, fb+"."); ok {
				d.addColumn(fb, idx, pdu)
				break
			}
		}
	}
	return nil
}

// missingRows returns, in OID order, the rows some column of cols holds that
// the primary column col lacks (fb, the fallback itself, does not count).
func missingRows(d *Data, col, fb string, cols []string) []string {
	set := map[string]bool{}
	for _, c := range cols {
		if c == fb {
			continue
		}
		for idx := range d.Columns[c] {
			if _, ok := d.Columns[col][idx]; !ok {
				set[idx] = true
			}
		}
	}
	rows := make([]string, 0, len(set))
	for idx := range set {
		rows = append(rows, idx)
	}
	slices.SortFunc(rows, compareOID)
	return rows
}
