//go:build windows

package agent

import (
	"context"
	"log/slog"

	"golang.org/x/sys/windows/svc"
)

// ServiceName is the Windows service name used by deploy/windows/install.ps1.
const ServiceName = "roomwatch-agent"

// runPlatform runs the agent under the Windows service manager when started
// by it, else in the foreground (a console, for testing).
func runPlatform(ctx context.Context, logger *slog.Logger, run func(context.Context) error) error {
	isService, err := svc.IsWindowsService()
	if err != nil || !isService {
		return run(ctx)
	}
	h := &serviceHandler{ctx: ctx, run: run, logger: logger}
	if err := svc.Run(ServiceName, h); err != nil {
		return err
	}
	return h.err
}

// serviceHandler answers the service manager: it starts the agent, reports
// Running, and cancels it on Stop or Shutdown.
type serviceHandler struct {
	ctx    context.Context
	run    func(context.Context) error
	logger *slog.Logger
	err    error
}

// Execute implements svc.Handler.
func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: accepts}
	for {
		select {
		case err := <-done:
			h.err = err
			status <- svc.Status{State: svc.StopPending}
			if err != nil {
				return false, 1
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				h.logger.Info("service stop requested")
				status <- svc.Status{State: svc.StopPending}
				cancel()
				h.err = <-done
				return false, 0
			}
		}
	}
}
