package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Fractional indexing orders siblings by a string key so that an insert or a move touches one
// node only. Keys follow the well-known scheme (David Greenspan's "Implementing Fractional
// Indexing", as in rocicorp/fractional-indexing): a variable-length integer part whose head
// character encodes its length ('a'..'z' positive, 'A'..'Z' negative), then base-62 fraction
// digits without trailing zeros. Keys compare with plain string comparison.

const fracDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// fracSmallestInteger is the lowest integer part; a key equal to it cannot be preceded.
const fracSmallestInteger = "A00000000000000000000000000"

// ErrInvalidKey is returned for a malformed fractional index key or an impossible request
// (a >= b).
var ErrInvalidKey = errors.New("invalid fractional index key")

// KeyBetween returns a key that sorts strictly between a and b; "" means the open end (so
// KeyBetween("", "") is the first key, KeyBetween(last, "") appends).
func KeyBetween(a, b string) (string, error) {
	if a != "" {
		if err := ValidateKey(a); err != nil {
			return "", err
		}
	}
	if b != "" {
		if err := ValidateKey(b); err != nil {
			return "", err
		}
	}
	if a != "" && b != "" && a >= b {
		return "", fmt.Errorf("%w: %q is not below %q", ErrInvalidKey, a, b)
	}
	if a == "" {
		if b == "" {
			return "a0", nil
		}
		ib := fracIntegerPart(b)
		fb := b[len(ib):]
		if ib == fracSmallestInteger {
			m, err := fracMidpoint("", fb)
			if err != nil {
				return "", err
			}
			return ib + m, nil
		}
		if ib < b {
			return ib, nil
		}
		res, ok := fracDecrement(ib)
		if !ok {
			return "", fmt.Errorf("%w: cannot go below %q", ErrInvalidKey, b)
		}
		return res, nil
	}
	ia := fracIntegerPart(a)
	fa := a[len(ia):]
	if b == "" {
		if i, ok := fracIncrement(ia); ok {
			return i, nil
		}
		m, err := fracMidpoint(fa, "")
		if err != nil {
			return "", err
		}
		return ia + m, nil
	}
	ib := fracIntegerPart(b)
	fb := b[len(ib):]
	if ia == ib {
		m, err := fracMidpoint(fa, fb)
		if err != nil {
			return "", err
		}
		return ia + m, nil
	}
	i, ok := fracIncrement(ia)
	if !ok {
		return "", fmt.Errorf("%w: cannot go above %q", ErrInvalidKey, a)
	}
	if i < b {
		return i, nil
	}
	m, err := fracMidpoint(fa, "")
	if err != nil {
		return "", err
	}
	return ia + m, nil
}

// ValidateKey reports whether key is a well-formed fractional index key.
func ValidateKey(key string) error {
	if key == "" || len(key) > 256 {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	if key == fracSmallestInteger {
		return fmt.Errorf("%w: %q is reserved", ErrInvalidKey, key)
	}
	n := fracIntegerLength(key[0])
	if n == 0 || len(key) < n {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for i := 1; i < len(key); i++ {
		if strings.IndexByte(fracDigits, key[i]) < 0 {
			return fmt.Errorf("%w: %q has a character outside [0-9A-Za-z]", ErrInvalidKey, key)
		}
	}
	if len(key) > n && key[len(key)-1] == '0' {
		return fmt.Errorf("%w: %q has a trailing zero", ErrInvalidKey, key)
	}
	return nil
}

// fracIntegerLength is the length of the integer part announced by its head (0: bad head).
func fracIntegerLength(head byte) int {
	switch {
	case head >= 'a' && head <= 'z':
		return int(head-'a') + 2
	case head >= 'A' && head <= 'Z':
		return int('Z'-head) + 2
	default:
		return 0
	}
}

func fracIntegerPart(key string) string { return key[:fracIntegerLength(key[0])] }

// fracMidpoint returns a fraction strictly between fractions a and b ("" for b means 1).
func fracMidpoint(a, b string) (string, error) {
	if b != "" && a >= b {
		return "", fmt.Errorf("%w: fraction %q is not below %q", ErrInvalidKey, a, b)
	}
	if (a != "" && a[len(a)-1] == '0') || (b != "" && b[len(b)-1] == '0') {
		return "", fmt.Errorf("%w: trailing zero", ErrInvalidKey)
	}
	if b != "" {
		// Skip the common prefix (a padded with zeros).
		n := 0
		for n < len(b) {
			ca := byte('0')
			if n < len(a) {
				ca = a[n]
			}
			if ca != b[n] {
				break
			}
			n++
		}
		if n > 0 {
			rest := ""
			if n < len(a) {
				rest = a[n:]
			}
			m, err := fracMidpoint(rest, b[n:])
			if err != nil {
				return "", err
			}
			return b[:n] + m, nil
		}
	}
	digitA := 0
	if a != "" {
		digitA = strings.IndexByte(fracDigits, a[0])
	}
	digitB := len(fracDigits)
	if b != "" {
		digitB = strings.IndexByte(fracDigits, b[0])
	}
	if digitB-digitA > 1 {
		return string(fracDigits[(digitA+digitB+1)/2]), nil
	}
	if b != "" && len(b) > 1 {
		return b[:1], nil
	}
	rest := ""
	if a != "" {
		rest = a[1:]
	}
	m, err := fracMidpoint(rest, "")
	if err != nil {
		return "", err
	}
	return string(fracDigits[digitA]) + m, nil
}

// fracIncrement returns the next integer part; false past the largest.
func fracIncrement(x string) (string, bool) {
	head := x[0]
	digs := []byte(x[1:])
	carry := true
	for i := len(digs) - 1; carry && i >= 0; i-- {
		d := strings.IndexByte(fracDigits, digs[i]) + 1
		if d == len(fracDigits) {
			digs[i] = '0'
		} else {
			digs[i] = fracDigits[d]
			carry = false
		}
	}
	if !carry {
		return string(head) + string(digs), true
	}
	switch head {
	case 'Z':
		return "a0", true
	case 'z':
		return "", false
	}
	h := head + 1
	if h > 'a' {
		digs = append(digs, '0')
	} else {
		digs = digs[:len(digs)-1]
	}
	return string(h) + string(digs), true
}

// fracDecrement returns the previous integer part; false below the smallest.
func fracDecrement(x string) (string, bool) {
	head := x[0]
	digs := []byte(x[1:])
	borrow := true
	for i := len(digs) - 1; borrow && i >= 0; i-- {
		d := strings.IndexByte(fracDigits, digs[i]) - 1
		if d == -1 {
			digs[i] = fracDigits[len(fracDigits)-1]
		} else {
			digs[i] = fracDigits[d]
			borrow = false
		}
	}
	if !borrow {
		return string(head) + string(digs), true
	}
	switch head {
	case 'a':
		return "Z" + string(fracDigits[len(fracDigits)-1]), true
	case 'A':
		return "", false
	}
	h := head - 1
	if h < 'Z' {
		digs = append(digs, fracDigits[len(fracDigits)-1])
	} else {
		digs = digs[:len(digs)-1]
	}
	return string(h) + string(digs), true
}
