package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/report"
)

// Integrity configures the hash chains of the records (docs/security.md,
// "Integrity").
type Integrity struct {
	// Hash is the chains' hash function for new records: sha256 (default)
	// or sm3 (GB/T 32905). Records keep the function they were written with.
	Hash string `yaml:"hash"`
	// KeyFile is the HMAC key file; <data_dir>/integrity.key by default.
	// Created (0600) on first start; keep it in backups and away from
	// anyone who may edit the databases.
	KeyFile string `yaml:"key_file"`

	line int // of hash
}

// UnmarshalYAML records the line of hash for validation messages.
func (i *Integrity) UnmarshalYAML(node *yaml.Node) error {
	type plain Integrity
	if err := node.Decode((*plain)(i)); err != nil {
		return err
	}
	i.line = config.ValueNode(node, "hash").Line
	return nil
}

func (i *Integrity) validate() error {
	if _, err := integrity.ParseAlg(i.Hash); err != nil {
		return &config.LineError{Line: i.line, Msg: err.Error()}
	}
	return nil
}

// KeyFile is the integrity key file: integrity.key_file, else
// <root>/integrity.key.
func (d DataDir) KeyFile() string {
	if d.key != "" {
		return d.key
	}
	return filepath.Join(d.Root, integrity.KeyFileName)
}

// openChain loads the integrity key (creating it when create is set) and
// returns the chain new records are linked with. Without create, a missing
// key gives a nil chain: keyed records then cannot be checked and say so.
func openChain(cfg *Config, d DataDir, create bool, now time.Time, log *slog.Logger) (*integrity.KeyFile, *integrity.Chain, error) {
	alg, err := integrity.ParseAlg(cfg.Integrity.Hash)
	if err != nil {
		return nil, nil, err
	}
	path := d.KeyFile()
	if !create {
		kf, err := integrity.LoadKeyFile(path)
		if errors.Is(err, integrity.ErrNoKey) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		return kf, kf.Chain(alg), nil
	}
	kf, created, err := integrity.OpenKeyFile(path, now)
	if err != nil {
		return nil, nil, err
	}
	if created {
		log.Info("integrity: created the records' HMAC key; keep it in backups, readable by the collector alone", "path", path)
	}
	return kf, kf.Chain(alg), nil
}

// startChains records, for each chain not yet keyed, that it is keyed from
// its next record on (records before predate the key), and logs the
// protective triggers a store found missing.
func (st *Stores) startChains(ctx context.Context, log *slog.Logger) error {
	if st.Key == nil {
		return nil
	}
	if st.Inspections != nil {
		next, err := st.Inspections.NextSeq(ctx)
		if err != nil {
			return fmt.Errorf("integrity: %w", err)
		}
		if err := st.startChain(integrity.ChainInspections, next, log); err != nil {
			return err
		}
		if r := st.Inspections.Recreated(); len(r) > 0 {
			log.Warn("inspections: protective triggers were missing (dropped outside roomwatch) and are recreated; run roomwatch-collector verify",
				"db", st.Dir.InspectionsDB(), "triggers", r)
		}
	}
	if st.Tickets != nil {
		ev, au, err := st.Tickets.db.NextIDs(ctx)
		if err != nil {
			return fmt.Errorf("integrity: %w", err)
		}
		if err := st.startChain(integrity.ChainTicketEvents, ev, log); err != nil {
			return err
		}
		if err := st.startChain(integrity.ChainAudit, au, log); err != nil {
			return err
		}
	}
	return st.startAccountsChain(ctx, log)
}

// startAccountsChain starts the chain of accounts.db's audit table; serve
// opens accounts.db after the other stores (wireConsole) and calls it then.
func (st *Stores) startAccountsChain(ctx context.Context, log *slog.Logger) error {
	if st.Key == nil || st.Accounts == nil {
		return nil
	}
	next, err := st.Accounts.NextAuditID(ctx)
	if err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	return st.startChain(integrity.ChainAccountsAudit, next, log)
}

func (st *Stores) startChain(name string, next int64, log *slog.Logger) error {
	wrote, err := st.Key.Start(name, next)
	if err != nil {
		return err
	}
	if wrote {
		log.Info("integrity: chain keyed from this record on; earlier records keep their unkeyed hashes", "chain", name, "from", next)
	}
	return nil
}

// VerifyChains verifies every chain of the stores that are open.
func (st *Stores) VerifyChains(ctx context.Context) ([]integrity.Report, error) {
	var out []integrity.Report
	if st.Inspections != nil {
		res, err := st.Inspections.Verify(ctx)
		if err != nil {
			return nil, fmt.Errorf("verify inspections: %w", err)
		}
		out = append(out, res.Report())
	}
	if st.Tickets != nil {
		reps, err := st.Tickets.db.Verify(ctx)
		if err != nil {
			return nil, fmt.Errorf("verify tickets: %w", err)
		}
		out = append(out, reps...)
	}
	if st.Accounts != nil {
		rep, err := st.Accounts.Verify(ctx)
		if err != nil {
			return nil, fmt.Errorf("verify accounts: %w", err)
		}
		out = append(out, rep)
	}
	return out, nil
}

// anchors are the chains' heads printed on the monthly report.
func (st *Stores) anchors(ctx context.Context) ([]report.Anchor, error) {
	var out []report.Anchor
	if st.Inspections != nil {
		seq, hash, err := st.Inspections.Head(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, report.Anchor{Chain: integrity.ChainInspections, Seq: seq, Hash: hash})
	}
	if st.Tickets != nil {
		ev, au, err := st.Tickets.db.Heads(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, report.Anchor{Chain: integrity.ChainTicketEvents, Seq: ev.ID, Hash: ev.Hash},
			report.Anchor{Chain: integrity.ChainAudit, Seq: au.ID, Hash: au.Hash})
	}
	if st.Accounts != nil {
		seq, hash, err := st.Accounts.AuditHead(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, report.Anchor{Chain: integrity.ChainAccountsAudit, Seq: seq, Hash: hash})
	}
	return out, nil
}

// AccountsChain is the chain a tool that writes accounts.db beside the
// collector (user add, inspect sign) links audit records with: the key
// file's when it exists, else nil (unkeyed records, as before the first
// start created the key). The tool does not start the chain: serve does.
func AccountsChain(cfg *Config, log *slog.Logger) (*integrity.Chain, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, c, err := openChain(cfg, NewDataDir(cfg), false, time.Now(), log)
	return c, err
}
