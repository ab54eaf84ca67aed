package facts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// MaxJSONSize bounds an env.json that Read accepts: the facts of a machine
// are a few KiB, so anything near this size is not an env.json.
const MaxJSONSize = 4 << 20

// Read parses env.json as Collect's Facts were written by WriteJSON.
// Unknown fields are ignored, so a newer perfcap's env.json still reads.
func Read(r io.Reader) (*Facts, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading env.json: %w", err)
	}
	if len(b) > MaxJSONSize {
		return nil, fmt.Errorf("env.json: larger than %d bytes", MaxJSONSize)
	}
	f := new(Facts)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("env.json: %w", err)
	}
	return f, nil
}

// WriteJSON writes f as env.json: indented, one field a line.
func (f *Facts) WriteJSON(w io.Writer) error {
	b, err := f.MarshalIndented()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalIndented returns env.json's bytes.
func (f *Facts) MarshalIndented() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("env.json: %w", err)
	}
	return buf.Bytes(), nil
}
