package msgattr

import "strings"

// Number limits [devguide]: "A number can have up to 38 digits of precision,
// and it can be between 10^-128 and 10^+126." We read the range as bounds on
// the magnitude of a non-zero value, the way DynamoDB documents its own
// 38-digit Number type; zero is always allowed.
const (
	maxNumberPrecision   = 38
	maxNumberMagnitude   = 126  // |x| <= 10^126
	minNumberMagnitude   = -128 // |x| >= 10^-128
	maxExponentDigitsLen = 9    // longer exponents are far outside either bound
)

type numberVerdict int

const (
	numberValid numberVerdict = iota
	numberMalformed
	numberOutOfRange
)

// checkNumber classifies s as a Number attribute value. The accepted syntax
// is a decimal literal as Java's BigDecimal parses it (SQS is a Java
// service): optional sign, digits with an optional fraction (".5" and "5."
// included), optional exponent. Whitespace, hex, NaN and Infinity are not
// numbers.
func checkNumber(s string) numberVerdict {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intPart := s[i : i+countDigits(s[i:])]
	i += len(intPart)
	fracPart := ""
	if i < len(s) && s[i] == '.' {
		i++
		fracPart = s[i : i+countDigits(s[i:])]
		i += len(fracPart)
	}
	if intPart == "" && fracPart == "" {
		return numberMalformed
	}
	exponent, hugeExponent := 0, false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negative := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negative = s[i] == '-'
			i++
		}
		expDigits := s[i : i+countDigits(s[i:])]
		if expDigits == "" {
			return numberMalformed
		}
		i += len(expDigits)
		exponent, hugeExponent = parseExponent(expDigits)
		if negative {
			exponent = -exponent
		}
	}
	if i != len(s) {
		return numberMalformed
	}
	return checkMagnitude(intPart+fracPart, len(fracPart), exponent, hugeExponent)
}

// checkMagnitude applies the precision and range limits to the value
// digits × 10^(exponent-fracLen).
func checkMagnitude(digits string, fracLen, exponent int, hugeExponent bool) numberVerdict {
	significant := strings.TrimLeft(digits, "0")
	if significant == "" {
		return numberValid // zero, whatever the exponent
	}
	if hugeExponent {
		return numberOutOfRange
	}
	trimmed := strings.TrimRight(significant, "0")
	// SQS drops leading and trailing zeros [devguide], so they are not
	// digits of precision.
	if len(trimmed) > maxNumberPrecision {
		return numberOutOfRange
	}
	scale := exponent - fracLen + (len(significant) - len(trimmed))
	// The value is trimmed × 10^scale, so it lies in [10^adjusted, 10^(adjusted+1)).
	adjusted := scale + len(trimmed) - 1
	switch {
	case adjusted > maxNumberMagnitude:
		return numberOutOfRange
	case adjusted == maxNumberMagnitude && trimmed != "1":
		return numberOutOfRange
	case adjusted < minNumberMagnitude:
		return numberOutOfRange
	}
	return numberValid
}

func countDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// parseExponent converts decimal digits to an int, reporting true when the
// value is too large to matter (so arithmetic on it cannot overflow).
func parseExponent(digits string) (int, bool) {
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > maxExponentDigitsLen {
		return 0, true
	}
	n := 0
	for _, c := range []byte(digits) {
		n = n*10 + int(c-'0')
	}
	return n, false
}
