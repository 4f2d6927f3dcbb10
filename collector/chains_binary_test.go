package collector

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// verifyOut is what `roomwatch-collector verify` prints.
type verifyOut struct {
	Chains []integrity.Report `json:"chains"`
}

// runTool runs a one-shot subcommand of the binary and returns its exit
// code, stdout and stderr.
func runTool(t *testing.T, bin, dir string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// copyDir copies a data directory (files only, as the tests make them).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
}

func sqlExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestBinaryRecordChains: serve keys the chains (SM3 here) from the first
// record after an upgrade; an inspection and a ticket written then verify
// with the old records; the heads printed on the sheet are accepted by
// verify --head; and each tampering of issue 15 makes verify exit 1.
func TestBinaryRecordChains(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	// An inspection record written by a version without keys.
	old, err := inspect.OpenStore(filepath.Join(data, inspectionsName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.AppendRun(context.Background(), &inspect.Run{Template: "daily", FinishedAt: time.Now().Add(-48 * time.Hour),
		Rows: []inspect.Row{{Device: "ups1", Item: "charge", Kind: "metric", Verdict: inspect.Normal}}}); err != nil {
		t.Fatal(err)
	}
	old.Close()
	cfgPath := writeConfig(t, dir, fmt.Sprintf("global: {data_dir: %q}\nrules: {files: []}\nintegrity: {hash: sm3}\nauth: {intake: {open_on_loopback: true}}\n", data))
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p := startBinary(t, bin, dir, "--config", cfgPath, "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	keyPath := filepath.Join(data, integrity.KeyFileName)
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	body := `[{"labels":{"alertname":"DeviceDown","device":"sw-core-1","severity":"critical"},"annotations":{"summary":"down"}}]`
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("alert intake: %s", resp.Status)
	}
	// A failed console login: recorded in accounts.db's chained audit
	// table with no tickets.audit_file configured.
	resp, err = http.PostForm(base+"/login", url.Values{"username": {"intruder"}, "password": {"Wrong-Pass-2024"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusSeeOther || resp.StatusCode/100 == 5 {
		t.Fatalf("failed login answered %s", resp.Status)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("serve exit: %v", err)
	}
	if code, out, errs := runTool(t, bin, dir, "inspect", "run", "daily", "--no-tickets", "--config", cfgPath); code != 0 {
		t.Fatalf("inspect run: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs := runTool(t, bin, dir, "verify", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errs)
	}
	var v verifyOut
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	heads := map[string]integrity.Report{}
	for _, r := range v.Chains {
		heads[r.Chain] = r
	}
	if r := heads[integrity.ChainInspections]; r.Records < 2 || r.Legacy != 1 || len(r.Head) != 64 {
		t.Errorf("inspections: %+v", r)
	}
	var kind, alg string
	accDB, err := sql.Open("sqlite", "file:"+filepath.Join(data, accountsDBName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	err = accDB.QueryRow(`SELECT kind, alg FROM audit WHERE user_name = 'intruder'`).Scan(&kind, &alg)
	accDB.Close()
	if err != nil || kind != "login_failure" || alg != integrity.HMACTagSM3 {
		t.Errorf("the failed login in accounts.db's audit: %q %q %v", kind, alg, err)
	}
	for _, c := range []string{integrity.ChainTicketEvents, integrity.ChainAudit, integrity.ChainAccountsAudit} {
		if r := heads[c]; r.Records < 1 || r.Legacy != 0 || len(r.Head) != 64 {
			t.Errorf("%s: %+v", c, r)
		}
	}
	// The check sheet prints the inspection head (serve ran a missed daily
	// inspection at start, the CLI another); verify accepts it.
	sheet := filepath.Join(dir, "sheet.html")
	if code, out, errs := runTool(t, bin, dir, "inspect", "show", "2", "--html", sheet, "--config", cfgPath); code != 0 {
		t.Fatalf("inspect show: %d %s %s", code, out, errs)
	}
	html, _ := os.ReadFile(sheet)
	if !strings.Contains(string(html), heads[integrity.ChainInspections].Head) {
		t.Errorf("the sheet does not print the head %s", heads[integrity.ChainInspections].Head)
	}
	auditHead := heads[integrity.ChainAudit].Head
	accHead := heads[integrity.ChainAccountsAudit].Head
	if code, _, errs := runTool(t, bin, dir, "verify", "--config", cfgPath, "--head", heads[integrity.ChainInspections].Head[:20], "--head", auditHead, "--head", accHead); code != 0 {
		t.Fatalf("verify --head: %d %s", code, errs)
	}

	dropTickets := `DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete`
	dropAccounts := `DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete`
	restoreAccounts := `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END`
	for _, tc := range []struct {
		name   string
		tamper func(data string)
		head   string
		want   string
	}{
		{"last audit record deleted", func(d string) {
			sqlExec(t, filepath.Join(d, ticketsDBName), dropTickets, `DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)`)
		}, auditHead, "is in no chain"},
		{"login failure rewritten", func(d string) {
			sqlExec(t, filepath.Join(d, accountsDBName), dropAccounts, `UPDATE audit SET user_name = 'nobody', remote = '10.0.0.1' WHERE kind = 'login_failure'`, restoreAccounts)
		}, "", "hash mismatch"},
		{"last account record deleted", func(d string) {
			sqlExec(t, filepath.Join(d, accountsDBName), dropAccounts, `DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)`, restoreAccounts)
		}, accHead, "is in no chain"},
		{"account triggers dropped", func(d string) {
			sqlExec(t, filepath.Join(d, accountsDBName), dropAccounts)
		}, "", "protective triggers"},
		{"actor changed", func(d string) {
			sqlExec(t, filepath.Join(d, ticketsDBName), dropTickets, `UPDATE events SET actor = 'someone else'`)
		}, "", "hash mismatch"},
		{"audit hashes removed (rewritten unkeyed)", func(d string) {
			sqlExec(t, filepath.Join(d, ticketsDBName), dropTickets, `UPDATE audit_log SET alg = '', prev_hash = '', hash = '', actor = 'x'`)
		}, "", "unkeyed"},
		{"countersigned record rewritten", func(d string) {
			sqlExec(t, filepath.Join(d, inspectionsName), `DROP TRIGGER entries_no_update`, `UPDATE entries SET body = replace(body, 'daily', 'dai1y') WHERE seq = 2`)
		}, "", "hash mismatch"},
		{"protective triggers dropped", func(d string) {
			sqlExec(t, filepath.Join(d, ticketsDBName), dropTickets)
		}, "", "trigger"},
		{"key replaced", func(d string) {
			if err := os.Remove(filepath.Join(d, integrity.KeyFileName)); err != nil {
				t.Fatal(err)
			}
		}, "", "no integrity key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cdir := t.TempDir()
			cdata := filepath.Join(cdir, "data")
			copyDir(t, data, cdata)
			tc.tamper(cdata)
			ccfg := writeConfig(t, cdir, fmt.Sprintf("global: {data_dir: %q}\nrules: {files: []}\nintegrity: {hash: sm3}\n", cdata))
			args := []string{"verify", "--config", ccfg}
			if tc.head != "" {
				args = append(args, "--head", tc.head)
			}
			code, out, errs := runTool(t, bin, cdir, args...)
			if code != 1 || !strings.Contains(errs+out, tc.want) {
				t.Errorf("verify: exit %d, want 1 mentioning %q\n%s\n%s", code, tc.want, out, errs)
			}
		})
	}
	// Serve recreates dropped triggers and says so; verify is clean after.
	cdir := t.TempDir()
	cdata := filepath.Join(cdir, "data")
	copyDir(t, data, cdata)
	sqlExec(t, filepath.Join(cdata, ticketsDBName), dropTickets)
	ccfg := writeConfig(t, cdir, fmt.Sprintf("global: {data_dir: %q}\nrules: {files: []}\n", cdata))
	addr = fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p = startBinary(t, bin, cdir, "--config", ccfg, "--web.listen-address", addr)
	testutil.WaitHTTP(t, "http://"+addr+"/-/ready", 30*time.Second)
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
	logText, _ := os.ReadFile(p.log)
	if !strings.Contains(string(logText), "protective triggers were missing") {
		t.Errorf("serve did not say it recreated the triggers:\n%s", logText)
	}
	if code, out, errs := runTool(t, bin, cdir, "verify", "--config", ccfg); code != 0 {
		t.Errorf("verify after serve recreated the triggers: %d\n%s\n%s", code, out, errs)
	}
}
