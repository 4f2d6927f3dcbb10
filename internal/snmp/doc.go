// Package snmp polls network gear, UPS, precision air conditioners, environment
// sensors, NVRs and printers over SNMP v1, v2c and v3, and turns their answers
// into vendor-neutral samples (see docs/profiles.md for the metric catalogue).
//
// What to read from a device is data, not code: a Profile (one YAML file per
// profile under rules/profiles/) lists the scalars to GET and the table columns
// to walk, each mapped to a metric name with a scale, an enum map, label
// lookups from other columns of the same table and text-with-units parsing.
// LoadProfiles reads and checks a directory of them strictly, with line numbers.
//
// Prober implements probe.Prober. For each target it GETs the system group,
// chooses the profiles (the inventory's profile, else the longest sysObjectID
// prefix, else a sysDescr pattern; profiles with match.always, such as the
// system group and IF-MIB, apply to every device), compiles them once into the
// set of OIDs to fetch, GETs scalars several to a PDU and walks only the needed
// columns, all columns of a table side by side in one GETBULK per step (GETNEXT
// on SNMPv1). Every device gets its own socket, timeout and retries, so a dead
// device never delays the others.
package snmp
