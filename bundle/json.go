package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MaxJSONValues bounds the values (strings, numbers, booleans, nulls,
// objects and arrays, at any depth) of a JSON file that [Reader.ReadJSON]
// returns for decoding. Decoding allocates per value — a slice element, a
// map entry — so a small file of "{}," repeated could otherwise decode into
// gigabytes; at this bound it stays under about 60 MB whatever the types.
// A real summary.json holds a few thousand values.
const MaxJSONValues = 200_000

// MaxJSONString bounds the strings of a JSON file that [Reader.ReadJSON]
// returns: one string of megabytes is no figure, name or message perfcap
// writes, and would cost its size again at every copy made to print it.
const MaxJSONString = 1 << 20

// jsonShape is what decoding a JSON document costs, counted without
// decoding it: its values, its longest array and its longest string in
// bytes as written (escapes make that longer than decoded; only invalid
// UTF-8, each byte decoded as a 3-byte U+FFFD, makes it shorter).
type jsonShape struct {
	values    int
	maxArray  int
	maxString int
}

// measureJSON checks that data is one valid JSON value and measures it.
// The check is encoding/json's own (through a decode into an empty struct,
// which skips everything and so allocates nothing per value), so its
// error says where the syntax breaks.
func measureJSON(data []byte) (jsonShape, error) {
	if err := json.Unmarshal(data, &struct{}{}); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); !ok {
			return jsonShape{}, err
		}
	}
	return countJSON(data), nil
}

// countJSON measures valid JSON. It relies on the validity: a string
// ends at the first unescaped quote, a number or literal at the next
// delimiter.
func countJSON(data []byte) jsonShape {
	var shape jsonShape
	// stack holds, per open container, -1 for an object or the number of
	// elements so far for an array.
	var stack []int
	key := false // the next string is an object key
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
			continue
		case ',':
			key = len(stack) > 0 && stack[len(stack)-1] < 0
			continue
		case ']', '}':
			stack = stack[:len(stack)-1]
			continue
		case '"':
			start := i
			for i++; data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			shape.maxString = max(shape.maxString, i-start-1)
			if key {
				key = false
				continue
			}
		default:
			// A number or a literal: skip to its last byte.
			for i+1 < len(data) && !isJSONDelim(data[i+1]) {
				i++
			}
		case '[', '{':
		}
		shape.values++
		if n := len(stack); n > 0 && stack[n-1] >= 0 {
			stack[n-1]++
			shape.maxArray = max(shape.maxArray, stack[n-1])
		}
		switch c {
		case '[':
			stack = append(stack, 0)
		case '{':
			stack = append(stack, -1)
			key = true
		}
	}
	return shape
}

func isJSONDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', ']', '}', '[', '{', '"':
		return true
	}
	return false
}

// jsonBudgetError says which bound of checkJSON a document passes.
type jsonBudgetError struct {
	what     string
	n, limit int
}

func (e *jsonBudgetError) Error() string {
	return fmt.Sprintf("%d %s, limit %d", e.n, e.what, e.limit)
}

// jsonBounds are the bounds checkJSON applies; a zero field is no bound.
type jsonBounds struct {
	values, array, str int
}

// checkJSON refuses a JSON document that is not valid, with the syntax
// error, or that passes one of bounds, with a *jsonBudgetError.
func checkJSON(data []byte, bounds jsonBounds) error {
	shape, err := measureJSON(data)
	if err != nil {
		return err
	}
	switch {
	case bounds.values > 0 && shape.values > bounds.values:
		return &jsonBudgetError{"JSON values", shape.values, bounds.values}
	case bounds.array > 0 && shape.maxArray > bounds.array:
		return &jsonBudgetError{"elements in one JSON array", shape.maxArray, bounds.array}
	case bounds.str > 0 && shape.maxString > bounds.str:
		return &jsonBudgetError{"bytes in one JSON string", shape.maxString, bounds.str}
	}
	return nil
}

// jsonError is a checkJSON error as the *Error of entry name.
func jsonError(bundle, name string, err error) *Error {
	kind := ErrNotBundle
	var be *jsonBudgetError
	if errors.As(err, &be) {
		kind = ErrTooLarge
	}
	return &Error{Bundle: bundle, Entry: name, Offset: -1, Kind: kind, Err: err}
}
