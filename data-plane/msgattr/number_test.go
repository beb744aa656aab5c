package msgattr

import (
	"strings"
	"testing"
)

func TestCheckNumber(t *testing.T) {
	tests := []struct {
		in   string
		want numberVerdict
	}{
		// Syntax: BigDecimal-style literals.
		{"0", numberValid},
		{"-0", numberValid},
		{"+1", numberValid},
		{"1.99", numberValid},
		{".5", numberValid},
		{"5.", numberValid},
		{"-1.5e3", numberValid},
		{"1E+5", numberValid},
		{"1e-5", numberValid},
		{"007", numberValid},
		{"", numberMalformed},
		{"-", numberMalformed},
		{".", numberMalformed},
		{"1e", numberMalformed},
		{"1e+", numberMalformed},
		{"e5", numberMalformed},
		{" 1", numberMalformed},
		{"1 ", numberMalformed},
		{"1,5", numberMalformed},
		{"0x10", numberMalformed},
		{"NaN", numberMalformed},
		{"Infinity", numberMalformed},
		{"1.2.3", numberMalformed},
		{"--1", numberMalformed},
		{"١", numberMalformed}, // Arabic-Indic digit one

		// Precision: 38 significant digits; leading and trailing zeros do not count.
		{strings.Repeat("9", 38), numberValid},
		{strings.Repeat("9", 39), numberOutOfRange},
		{"0.000" + strings.Repeat("1", 38), numberValid},
		{"1" + strings.Repeat("0", 100), numberValid},
		{"1." + strings.Repeat("0", 37) + "1", numberOutOfRange},

		// Range: magnitude between 10^-128 and 10^+126.
		{"1e126", numberValid},
		{"-1e126", numberValid},
		{"1.0000e126", numberValid},
		{"1.1e126", numberOutOfRange},
		{"9.9e125", numberValid},
		{"1e127", numberOutOfRange},
		{"-1e127", numberOutOfRange},
		{"1e-128", numberValid},
		{"-1e-128", numberValid},
		{"0.1e-127", numberValid},
		{"9e-129", numberOutOfRange},
		{"1e-129", numberOutOfRange},
		{"0e999999999999", numberValid},
		{"1e999999999999", numberOutOfRange},
		{"1e-999999999999", numberOutOfRange},
		{"1e000000000000000126", numberValid},
	}
	for _, tt := range tests {
		if got := checkNumber(tt.in); got != tt.want {
			t.Errorf("checkNumber(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
