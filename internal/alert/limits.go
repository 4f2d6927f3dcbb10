package alert

import (
	"errors"
	"fmt"
)

// Size limits on an alert from outside (the webhook and /api/v2/alerts
// intake). Real alerts carry a dozen labels of a few dozen bytes; one alert
// with 100,000 labels once made the ticket list page 13.9 MB.
const (
	MaxLabels          = 64      // labels per alert
	MaxLabelNameBytes  = 128     // bytes in a label name
	MaxLabelValueBytes = 1 << 10 // bytes in a label value
	MaxAnnotations     = 32      // annotations per alert
	MaxAnnotationBytes = 8 << 10 // bytes in an annotation value
	MaxURLBytes        = 2 << 10 // bytes in GeneratorURL
)

// ErrTooLarge is wrapped by CheckSize's errors.
var ErrTooLarge = errors.New("alert too large")

// CheckSize refuses an alert over the size limits, naming the one exceeded.
func CheckSize(labels, annotations map[string]string, generatorURL string) error {
	if n := len(labels); n > MaxLabels {
		return fmt.Errorf("%w: %d labels, at most %d", ErrTooLarge, n, MaxLabels)
	}
	for k, v := range labels {
		if len(k) > MaxLabelNameBytes {
			return fmt.Errorf("%w: label name of %d bytes, at most %d", ErrTooLarge, len(k), MaxLabelNameBytes)
		}
		if len(v) > MaxLabelValueBytes {
			return fmt.Errorf("%w: label %s has %d bytes, at most %d", ErrTooLarge, k, len(v), MaxLabelValueBytes)
		}
	}
	if n := len(annotations); n > MaxAnnotations {
		return fmt.Errorf("%w: %d annotations, at most %d", ErrTooLarge, n, MaxAnnotations)
	}
	for k, v := range annotations {
		if len(k) > MaxLabelNameBytes {
			return fmt.Errorf("%w: annotation name of %d bytes, at most %d", ErrTooLarge, len(k), MaxLabelNameBytes)
		}
		if len(v) > MaxAnnotationBytes {
			return fmt.Errorf("%w: annotation %s has %d bytes, at most %d", ErrTooLarge, k, len(v), MaxAnnotationBytes)
		}
	}
	if len(generatorURL) > MaxURLBytes {
		return fmt.Errorf("%w: generatorURL of %d bytes, at most %d", ErrTooLarge, len(generatorURL), MaxURLBytes)
	}
	return nil
}
