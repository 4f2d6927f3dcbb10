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
	if err := checkPairs("label", labels, MaxLabels, MaxLabelValueBytes); err != nil {
		return err
	}
	if err := checkPairs("annotation", annotations, MaxAnnotations, MaxAnnotationBytes); err != nil {
		return err
	}
	if len(generatorURL) > MaxURLBytes {
		return fmt.Errorf("%w: generatorURL of %d bytes, at most %d", ErrTooLarge, len(generatorURL), MaxURLBytes)
	}
	return nil
}

// checkPairs holds labels or annotations (noun) to their count, name and
// value limits.
func checkPairs(noun string, m map[string]string, maxN, maxValue int) error {
	if n := len(m); n > maxN {
		return fmt.Errorf("%w: %d %ss, at most %d", ErrTooLarge, n, noun, maxN)
	}
	for k, v := range m {
		if len(k) > MaxLabelNameBytes {
			return fmt.Errorf("%w: %s name of %d bytes, at most %d", ErrTooLarge, noun, len(k), MaxLabelNameBytes)
		}
		if len(v) > maxValue {
			return fmt.Errorf("%w: %s %s has %d bytes, at most %d", ErrTooLarge, noun, k, len(v), maxValue)
		}
	}
	return nil
}
