// Package dashboards builds roomwatch's Grafana dashboards (the command-centre
// wall display and the host dashboard) from Go and encodes them as the JSON
// files under dashboards/ in the repository.
//
// The JSON files are golden files of this package: to change a dashboard, edit
// wall.go or host.go and run
//
//	go test ./internal/devtools/dashboards -run Golden -update
//
// The field order of the structs below is the key order of the JSON, so the
// output is stable and diffs stay small.
//
// It owns the dashboards' Go definitions; no binary imports it, the JSON it
// writes is provisioned from deploy/grafana.
package dashboards
