// Package camera checks video devices through their vendor web APIs:
// Hikvision ISAPI and Dahua CGI (device identity, hard disks, recording per
// channel, channel online state, clock offset), and vehicle checkpoints
// (卡口: age of the newest capture and clock offset).
//
// Parsers are separate from the probers so they can be fuzzed; they accept
// what real firmware sends (both ISAPI XML namespaces, CRLF or LF key=value
// lines) and reject anything else with an error.
//
// It owns the vendor parsers and probers; the probe checks table
// (internal/probe/checks) wires it into the scheduler.
package camera
