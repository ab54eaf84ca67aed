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
	bomb := "[" + strings.Repeat("{},", 1000) + "{}]"
	if err := jsonError("b", "x.json", checkJSON([]byte(bomb), 500, 0)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1001 objects with a limit of 500 values: %v", err)
	}
	if err := jsonError("b", "x.json", checkJSON([]byte(bomb), 0, 1000)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an array of 1001 with a limit of 1000: %v", err)
	}
	if err := checkJSON([]byte(bomb), 1002, 1001); err != nil {
		t.Errorf("at the limits: %v", err)
	}
}

// reference measures a JSON document by decoding it.
func reference(v any) jsonShape {
	var shape jsonShape
	var walk func(v any)
	walk = func(v any) {
		shape.values++
		switch v := v.(type) {
		case []any:
			shape.maxArray = max(shape.maxArray, len(v))
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return shape
}

func FuzzMeasureJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[1,"a",{"b":[null,true]}]`, `{"a\"":"\\","b":[[],[[]]]}`, `"x"`, `1e5`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Add(manifestEntry(v1(listing(reg("a.txt", "a"), reg("b/c.txt", "c")))).data)
	f.Fuzz(func(t *testing.T, data []byte) {
		shape, err := measureJSON(data)
		// Numbers as json.Number: 1e1000 is valid JSON, just not a float64.
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		uerr := dec.Decode(&v)
		if uerr == nil && dec.InputOffset() < int64(len(data)) {
			if _, err := dec.Token(); err != io.EOF {
				uerr = errors.New("data after the value")
			}
		}
		if (err == nil) != (uerr == nil) {
			t.Fatalf("measureJSON error %v, json.Unmarshal error %v", err, uerr)
		}
		if err != nil {
			return
		}
		// Duplicate keys collapse in a map: the reference can only count
		// fewer values.
		if want := reference(v); shape.values < want.values || shape.maxArray != want.maxArray {
			t.Fatalf("%s: measured %+v, decoded %+v", data, shape, want)
		}
	})
}
