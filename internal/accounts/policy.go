package accounts

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrPolicy is matched (errors.Is) by every *PolicyError.
var ErrPolicy = errors.New("password does not meet the policy")

// Reasons a password is refused; the console turns them into messages.
const (
	ReasonTooShort     = "too_short"
	ReasonTooLong      = "too_long"
	ReasonFewClasses   = "few_classes"
	ReasonContainsName = "contains_name"
	ReasonSameAsOld    = "same_as_old"
)

// PolicyError says why a password was refused.
type PolicyError struct {
	Reason string // one of the Reason constants
	Policy Policy
}

func (e *PolicyError) Error() string {
	switch e.Reason {
	case ReasonTooShort:
		return fmt.Sprintf("password too short: at least %d characters", e.Policy.MinLength)
	case ReasonTooLong:
		return fmt.Sprintf("password too long: at most %d bytes", maxPasswordBytes)
	case ReasonFewClasses:
		return fmt.Sprintf("password needs characters of at least %d of 4 classes (lower case, upper case, digits, others)", e.Policy.MinClasses)
	case ReasonContainsName:
		return "password must not contain the user name"
	case ReasonSameAsOld:
		return "the new password must differ from the old one"
	}
	return "password refused: " + e.Reason
}

// Is makes errors.Is(err, ErrPolicy) true.
func (e *PolicyError) Is(target error) bool { return target == ErrPolicy }

// maxPasswordBytes is bcrypt's limit: it ignores (x/crypto refuses) longer input.
const maxPasswordBytes = 72

// Policy is the password policy (等保 2.0: length and character classes).
type Policy struct {
	// MinLength in characters; default 10.
	MinLength int `yaml:"min_length"`
	// MinClasses is how many of lower case, upper case, digits and others a
	// password needs; default 3.
	MinClasses int `yaml:"min_classes"`
}

// DefaultPolicy is 10 characters of at least 3 of the 4 classes.
func DefaultPolicy() Policy { return Policy{MinLength: 10, MinClasses: 3} }

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.MinLength <= 0 {
		p.MinLength = d.MinLength
	}
	if p.MinClasses <= 0 {
		p.MinClasses = d.MinClasses
	}
	if p.MinClasses > 4 {
		p.MinClasses = 4
	}
	return p
}

// Check returns a *PolicyError when password is not acceptable for user name.
func (p Policy) Check(name, password string) error {
	p = p.withDefaults()
	if utf8.RuneCountInString(password) < p.MinLength {
		return &PolicyError{Reason: ReasonTooShort, Policy: p}
	}
	if len(password) > maxPasswordBytes {
		return &PolicyError{Reason: ReasonTooLong, Policy: p}
	}
	var lower, upper, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			n++
		}
	}
	if n < p.MinClasses {
		return &PolicyError{Reason: ReasonFewClasses, Policy: p}
	}
	if name != "" && strings.Contains(strings.ToLower(password), strings.ToLower(name)) {
		return &PolicyError{Reason: ReasonContainsName, Policy: p}
	}
	return nil
}
