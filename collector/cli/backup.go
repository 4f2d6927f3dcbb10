package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/collector/client"
	"github.com/roomwatch/roomwatch/internal/store"
)

// runBackup takes a consistent copy of the data directory: through the
// running collector's admin API when one holds the directory (only it can
// snapshot its TSDB), else directly.
func runBackup(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "collector config file / 配置文件")
	dataDir := fs.String("data-dir", "", "data directory (default the config's global.data_dir)")
	out := fs.String("out", "", "new, empty directory for the backup (required) / 备份目录")
	token := fs.String("token", os.Getenv(envTicketsToken), "admin API token, when a collector is running (env "+envTicketsToken+")")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "usage: roomwatch-collector backup --out DIR [--config FILE] [--data-dir DIR] [--token T]")
		return 2
	}
	cfg, cleanup, code := loadConfig(env, *cfgPath)
	defer cleanup()
	if code != 0 {
		return code
	}
	if *dataDir != "" {
		cfg.Global.DataDir = *dataDir
	}
	dst, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintf(env.Stderr, "backup: %v\n", err)
		return 2
	}
	d := collector.NewDataDir(cfg)
	lock, err := d.Acquire(collector.Holder{Command: "backup"})
	var locked *collector.LockedError
	switch {
	case errors.As(err, &locked):
		return backupRemote(ctx, env, locked.Holder, *token, dst)
	case err != nil:
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	defer lock.Release() //nolint:errcheck // at exit
	var db *store.Store
	if _, err := os.Stat(d.TSDB()); err == nil {
		if db, err = store.Open(store.Options{Dir: d.TSDB(), Retention: cfg.Storage.Retention.Std(), OutOfOrderWindow: cfg.Storage.OutOfOrderWindow.Std()}); err != nil {
			fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
			return 1
		}
		defer db.Close()
	}
	m, err := collector.Backup(ctx, d, db, dst, env.clock().Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	return printManifest(env, m, dst)
}

func backupRemote(ctx context.Context, env Env, h collector.Holder, token, dst string) int {
	if h.Listen == "" {
		fmt.Fprintf(env.Stderr, "错误 / error: the collector holding the data directory (%s) records no listen address\n", h)
		return 1
	}
	api, err := client.New(client.Options{URL: "http://" + collector.LoopbackAddr(h.Listen), Token: token, Timeout: 30 * time.Minute})
	if err != nil {
		fmt.Fprintf(env.Stderr, "backup: %v\n", err)
		return 2
	}
	fmt.Fprintf(env.Stderr, "采集器运行中，经其接口备份 / %s holds the data directory; asking it to write the backup\n", h)
	var m collector.BackupManifest
	if err := api.JSON(ctx, http.MethodPost, "/api/v1/admin/backup", nil, map[string]string{"dir": dst}, &m); err != nil {
		return failAPI(env, api, err)
	}
	return printManifest(env, &m, dst)
}

func printManifest(env Env, m *collector.BackupManifest, dst string) int {
	e := json.NewEncoder(env.Stdout)
	e.SetIndent("", "  ")
	_ = e.Encode(m)
	fmt.Fprintf(env.Stderr, "备份完成 backup written to %s\n", dst)
	return 0
}

// runRestore puts a backup into a new, empty data directory.
func runRestore(_ context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	from := fs.String("from", "", "backup directory (required) / 备份目录")
	dataDir := fs.String("data-dir", "", "new, empty data directory (required) / 新数据目录")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || *dataDir == "" || fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "usage: roomwatch-collector restore --from BACKUP --data-dir NEW")
		return 2
	}
	cfg := collector.DefaultConfig()
	cfg.Global.DataDir = *dataDir
	if err := collector.Restore(*from, collector.NewDataDir(&cfg)); err != nil {
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stderr, "已恢复 restored %s into %s; start the collector with global.data_dir %s, then run verify\n", *from, *dataDir, *dataDir)
	return 0
}
