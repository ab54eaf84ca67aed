package facts

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
)

// TestJSONRoundTrip writes this machine's facts and reads them back.
func TestJSONRoundTrip(t *testing.T) {
	f := Collect(context.Background(), Options{Dir: t.TempDir(), Command: []string{"true"}, Env: map[string]string{"LANG": "C"}})
	var buf bytes.Buffer
	if err := f.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	want := buf.String()
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := got.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != want {
		t.Errorf("round trip changed env.json:\n got %s\nwant %s", again.String(), want)
	}
	if got.CPU.Model != f.CPU.Model || len(got.CPU.Caches) != len(f.CPU.Caches) || got.OS != f.OS || !reflect.DeepEqual(got.Unknown, f.Unknown) {
		t.Errorf("round trip changed the CPU or OS facts: %+v %+v", got.CPU, got.OS)
	}
}

func TestReadRefusesBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not json":   "{",
		"oversized":  `{"x":"` + strings.Repeat("a", MaxJSONSize) + `"}`,
		"wrong type": `{"os": 3}`,
	} {
		if _, err := Read(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "env.json") {
			t.Errorf("%s: err = %v, want an env.json error", name, err)
		}
	}
}
