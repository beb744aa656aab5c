package plans

import (
	"errors"
	"math/big"
)

// GB is the billing gigabyte: 2^30 bytes.
const GB = 1 << 30

// ErrOverflow: an amount does not fit in an int64 of micros.
var ErrOverflow = errors.New("plans: amount overflows int64 micros")

// Amount is round(quantity × price / divisor), the one rounding of a line:
// to the nearest micro, halves away from zero (half up for the
// non-negative amounts of usage; an adjustment's difference is computed
// from two amounts so rounded). The product is computed exactly in
// math/big, so no quantity that fits in an int64 overflows the
// intermediate; only a result beyond int64 micros (about 9.2 trillion
// units of the currency) is refused. divisor must be positive.
func Amount(quantity, price int64, divisor *big.Int) (int64, error) {
	if divisor.Sign() <= 0 {
		return 0, errors.New("plans: non-positive divisor")
	}
	num := new(big.Int).Mul(big.NewInt(quantity), big.NewInt(price))
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, divisor, new(big.Int))
	if r.Lsh(r, 1).Cmp(divisor) >= 0 { // 2r >= d: half or more rounds up
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, ErrOverflow
	}
	return q.Int64(), nil
}

// RequestsAmount prices request units at perMillion micros per million.
func RequestsAmount(units, perMillion int64) (int64, error) {
	return Amount(units, perMillion, big.NewInt(1_000_000))
}

// StorageAmount prices byte-hours at perGBMonth micros per GB-month of a
// month of hours hours: byteHours × perGBMonth / (2^30 × hours).
func StorageAmount(byteHours, perGBMonth, hours int64) (int64, error) {
	return Amount(byteHours, perGBMonth, new(big.Int).Mul(big.NewInt(GB), big.NewInt(hours)))
}

// EgressAmount prices bytes at perGB micros per 2^30 bytes.
func EgressAmount(bytes, perGB int64) (int64, error) {
	return Amount(bytes, perGB, big.NewInt(GB))
}

// QueueAmount prices queue-hours at perMonth micros per queue-month of a
// month of hours hours.
func QueueAmount(queueHours, perMonth, hours int64) (int64, error) {
	return Amount(queueHours, perMonth, big.NewInt(hours))
}
