package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/testutil"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/sqlite"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// serverEnv, when set to "DB ADDR", makes the test binary a ticket server.
const serverEnv = "ROOMWATCH_TICKETS_TEST_SERVER"

// runServer serves the API on ADDR with the store at DB until killed.
func runServer() int {
	db, addr, _ := strings.Cut(os.Getenv(serverEnv), " ")
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := ticketstest.LoadProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := ticketstest.LoadRules()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	svc, err := tickets.New(tickets.Options{Store: st, Classifier: r, Policy: p})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	a, _ := auth.New(auth.Config{Intake: auth.Intake{OpenOnLoopback: true}})
	h, err := api.NewHandler(api.Options{Service: svc, Auth: a})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, http.Serve(l, h))
	return 1
}

// TestKillDuringStorm re-executes the test binary as the server, fires alerts
// concurrently (each one twice), SIGKILLs the server mid-storm, reopens the
// same database and checks: every alert that got a 2xx has exactly one ticket.
func TestKillDuringStorm(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	db := filepath.Join(t.TempDir(), "tickets.db")
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverEnv+"="+db+" "+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	testutil.WaitTCP(t, addr, 20*time.Second)

	const n, senders, killAfter = 600, 16, 200
	var mu sync.Mutex
	acked := map[string]bool{}
	work := make(chan int)
	killed := make(chan struct{})
	var once sync.Once
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				dev := fmt.Sprintf("cam%04d", i)
				body := fmt.Sprintf(`[{"labels":{"alertname":"CameraOffline","device":%q,"class":"camera"},"startsAt":"2025-03-03T01:00:00Z"}]`, dev)
				for range 2 {
					resp, err := client.Post("http://"+addr+"/api/v2/alerts", "application/json", strings.NewReader(body))
					if err != nil {
						continue
					}
					resp.Body.Close()
					if resp.StatusCode/100 == 2 {
						mu.Lock()
						acked[dev] = true
						if len(acked) >= killAfter {
							once.Do(func() {
								_ = cmd.Process.Signal(syscall.SIGKILL)
								close(killed)
							})
						}
						mu.Unlock()
					}
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	<-killed
	_ = cmd.Wait()

	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, err := st.List(context.Background(), tickets.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, tk := range ts {
		per[tk.Device]++
	}
	for dev, c := range per {
		if c != 1 {
			t.Errorf("%s has %d tickets", dev, c)
		}
	}
	missing := 0
	for dev := range acked {
		if per[dev] == 0 {
			missing++
			t.Errorf("%s got a 2xx but has no ticket", dev)
		}
	}
	t.Logf("acked %d alerts before and around the kill, %d tickets stored, %d missing", len(acked), len(ts), missing)
	if len(acked) >= n {
		t.Errorf("the kill came after the storm: every alert was acked")
	}
}
