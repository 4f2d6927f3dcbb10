package collector

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/pdf"
)

// Documents configures the server-side PDF of reports, check sheets and
// ticket reports (docs/reports.md).
type Documents struct {
	// Chromium is the browser that prints PDFs; found on PATH (chromium,
	// chromium-browser, google-chrome) when empty. Without one, the PDF
	// links answer 503 and the HTML is printed from the browser.
	Chromium string `yaml:"chromium"`
	// Queue is how many PDFs may wait while one prints (0: the default 4); more
	// are refused with 503.
	Queue int `yaml:"pdf_queue"`
	// Timeout bounds one PDF, its wait included (default 60s).
	Timeout config.Duration `yaml:"pdf_timeout"`

	line int // of pdf_queue
}

// UnmarshalYAML records the line of pdf_queue for validation messages.
func (d *Documents) UnmarshalYAML(node *yaml.Node) error {
	type plain Documents
	if err := node.Decode((*plain)(d)); err != nil {
		return err
	}
	d.line = config.ValueNode(node, "pdf_queue").Line
	return nil
}

func (d *Documents) validate() error {
	if d.Queue < 0 || d.Queue > 100 {
		return &config.LineError{Line: d.line, Msg: fmt.Sprintf("documents.pdf_queue %d: want 0 to 100", d.Queue)}
	}
	if d.Timeout < 0 {
		return &config.LineError{Msg: "documents.pdf_timeout: must not be negative"}
	}
	return nil
}

// printer returns the PDF printer the report API, the inspections API and
// the console share: one Chromium at a time for the whole collector.
func (s *Server) printer() *pdf.Printer {
	if s.pdf == nil {
		d := s.cfg.Documents
		q := d.Queue
		if q == 0 {
			q = pdf.DefaultQueue
		}
		s.pdf = pdf.New(pdf.Options{Chromium: d.Chromium, Queue: q, Timeout: d.Timeout.Std(), Logger: s.log})
		if err := s.pdf.Available(); err != nil {
			s.log.Info("documents: no server-side PDF", "why", err)
		} else {
			s.log.Info("documents: server-side PDF", "chromium", s.pdf.Chromium())
		}
	}
	return s.pdf
}
