package segment

import (
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// Codec holds the zstd encoder and decoder segments are written and read
// with. Both are expensive to create and safe for concurrent use through
// EncodeAll/DecodeAll, so a process shares one Codec.
type Codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// NewCodec returns a Codec. Close it when done.
func NewCodec() (*Codec, error) {
	// Each frame has its own CRC-32C, so zstd's checksum would only add
	// four bytes per message.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, fmt.Errorf("segment: new zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxDecodedSize))
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("segment: new zstd decoder: %w", err)
	}
	return &Codec{enc: enc, dec: dec}, nil
}

// Close releases the encoder's and decoder's resources. The Codec, and
// Builders made from it, must not be used afterwards.
func (c *Codec) Close() {
	// EncodeAll-only use leaves no stream to flush, so Close cannot fail.
	_ = c.enc.Close()
	c.dec.Close()
}
