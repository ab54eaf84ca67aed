package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestMeasureJSON(t *testing.T) {
	for _, c := range []struct {
		doc         string
		values, arr int
	}{
		{`{}`, 1, 0},
		{`[]`, 1, 0},
		{`[{},{},{}]`, 4, 3},
		{`{"a":[1,2,[3,4,5,6]],"b":"x,]\"}","c":{"d":null}}`, 12, 4},
		{` [ "a" , true , false , -1.5e3 ] `, 5, 4},
		{`"just a string"`, 1, 0},
		{`{"k":{},"l":[{}],"m":"v"}`, 5, 1},
	} {
		shape, err := measureJSON([]byte(c.doc))
		if err != nil {
			t.Errorf("%s: %v", c.doc, err)
			continue
		}
		if shape.values != c.values || shape.maxArray != c.arr {
			t.Errorf("%s: %d values, longest array %d; want %d, %d", c.doc, shape.values, shape.maxArray, c.values, c.arr)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a" 1}`, `"unterminated`, `[1] [2]`} {
		if _, err := measureJSON([]byte(bad)); err == nil {
			t.Errorf("%q: accepted as JSON", bad)
		}
	}
	if shape, _ := measureJSON([]byte(`{"key":"ab\"c","x":["\u4e2d"]}`)); shape.maxString != 6 {
		t.Errorf("longest string %d bytes as written, want 6", shape.maxString)
	}
	if err := checkJSON([]byte(`["12345"]`), jsonBounds{str: 4}); err == nil {
		t.Errorf("a string of 5 bytes passed a bound of 4")
	}
	bomb := "[" + strings.Repeat("{},", 1000) + "{}]"
	if err := jsonError("b", "x.json", checkJSON([]byte(bomb), jsonBounds{values: 500})); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1001 objects with a limit of 500 values: %v", err)
	}
	if err := jsonError("b", "x.json", checkJSON([]byte(bomb), jsonBounds{array: 1000})); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an array of 1001 with a limit of 1000: %v", err)
	}
	if err := checkJSON([]byte(bomb), jsonBounds{values: 1002, array: 1001}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
}

// reference measures a JSON document with encoding/json's tokenizer,
// which keeps repeated keys that a decoded map would collapse.
func reference(data []byte) (jsonShape, error) {
	var shape jsonShape
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type level struct {
		object  bool
		key     bool // the next token is a key
		members int
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return shape, err
		}
		if d, ok := tok.(json.Delim); ok && (d == ']' || d == '}') {
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].key = true
			}
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].key {
			stack[n-1].key = false
			if s, ok := tok.(string); ok {
				shape.maxString = max(shape.maxString, len(s))
			}
			continue
		}
		shape.values++
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].key = true
			} else {
				stack[n-1].members++
				shape.maxArray = max(shape.maxArray, stack[n-1].members)
			}
		}
		switch tok := tok.(type) {
		case json.Delim:
			stack = append(stack, level{object: tok == '{', key: tok == '{'})
		case string:
			shape.maxString = max(shape.maxString, len(tok))
		}
	}
	return shape, nil
}

func FuzzMeasureJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[1,"a",{"b":[null,true]}]`, `{"a\"":"\\","b":[[],[[]]]}`, `"x"`, `1e5`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Add(manifestEntry(v1(listing(reg("a.txt", "a"), reg("b/c.txt", "c")))).data)
	f.Fuzz(func(t *testing.T, data []byte) {
		shape, err := measureJSON(data)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("measureJSON error %v, json.Valid %v", err, json.Valid(data))
		}
		if err != nil {
			return
		}
		want, err := reference(data)
		if err != nil {
			t.Fatalf("valid JSON that the tokenizer refuses: %v", err)
		}
		// Strings are measured as written: escapes make that longer than
		// decoded, an invalid byte (decoded as U+FFFD) 3 times shorter.
		if shape.values != want.values || shape.maxArray != want.maxArray || 3*shape.maxString < want.maxString {
			t.Fatalf("%s: measured %+v, tokenized %+v", data, shape, want)
		}
	})
}
