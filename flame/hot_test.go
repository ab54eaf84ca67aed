package flame

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// hotStacks parses "comm;a;b COUNT" lines into Stacks.
func hotStacks(t *testing.T, lines ...string) []Stack {
	t.Helper()
	stacks := make([]Stack, 0, len(lines))
	for _, l := range lines {
		frames, count, ok := strings.Cut(l, " ")
		if !ok {
			t.Fatalf("bad test stack %q", l)
		}
		n, err := strconv.ParseInt(count, 10, 64)
		if err != nil {
			t.Fatalf("bad test stack %q: %v", l, err)
		}
		stacks = append(stacks, Stack{Frames: strings.Split(frames, ";"), Count: n})
	}
	return stacks
}

func TestHot(t *testing.T) {
	tests := []struct {
		name    string
		stacks  []string
		n       int
		bySelf  []HotFunction
		byTotal []HotFunction
		weight  int64
	}{
		{
			name:    "empty",
			stacks:  nil,
			n:       5,
			weight:  0,
			bySelf:  []HotFunction{},
			byTotal: []HotFunction{},
		},
		{
			name:    "comm only is no function",
			stacks:  []string{"app 4"},
			n:       5,
			weight:  4,
			bySelf:  []HotFunction{},
			byTotal: []HotFunction{},
		},
		{
			name: "self and total",
			stacks: []string{
				"app;main;work;hot 6",
				"app;main;work 2",
				"app;main;cold 2",
			},
			n:      5,
			weight: 10,
			bySelf: []HotFunction{
				{Name: "hot", Self: 6, Total: 6, SelfShare: 0.6, TotalShare: 0.6},
				{Name: "cold", Self: 2, Total: 2, SelfShare: 0.2, TotalShare: 0.2},
				{Name: "work", Self: 2, Total: 8, SelfShare: 0.2, TotalShare: 0.8},
			},
			byTotal: []HotFunction{
				{Name: "main", Self: 0, Total: 10, SelfShare: 0, TotalShare: 1},
				{Name: "work", Self: 2, Total: 8, SelfShare: 0.2, TotalShare: 0.8},
				{Name: "hot", Self: 6, Total: 6, SelfShare: 0.6, TotalShare: 0.6},
				{Name: "cold", Self: 2, Total: 2, SelfShare: 0.2, TotalShare: 0.2},
			},
		},
		{
			name: "recursion counts once in total",
			stacks: []string{
				"app;main;fib;fib;fib 3",
				"app;main;fib 1",
			},
			n:      5,
			weight: 4,
			bySelf: []HotFunction{
				{Name: "fib", Self: 4, Total: 4, SelfShare: 1, TotalShare: 1},
			},
			byTotal: []HotFunction{
				{Name: "fib", Self: 4, Total: 4, SelfShare: 1, TotalShare: 1},
				{Name: "main", Self: 0, Total: 4, SelfShare: 0, TotalShare: 1},
			},
		},
		{
			name: "ties by name and top n",
			stacks: []string{
				"app;main;c 1",
				"app;main;a 1",
				"app;main;b 1",
				"app;main;d 1",
			},
			n:      2,
			weight: 4,
			bySelf: []HotFunction{
				{Name: "a", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
				{Name: "b", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
			},
			byTotal: []HotFunction{
				{Name: "main", Self: 0, Total: 4, SelfShare: 0, TotalShare: 1},
				{Name: "a", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
			},
		},
		{
			name: "kinds stripped and kept apart",
			stacks: []string{
				"app;main;read;sys_read_[k] 2",
				"app;main;read_[k] 1",
				"app;main;jitted_[j];helper_[i] 1",
			},
			n:      0,
			weight: 4,
			bySelf: []HotFunction{
				{Name: "sys_read", Kind: "kernel", Self: 2, Total: 2, SelfShare: 0.5, TotalShare: 0.5},
				{Name: "helper", Kind: "inlined", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
				{Name: "read", Kind: "kernel", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
			},
			byTotal: []HotFunction{
				{Name: "main", Self: 0, Total: 4, SelfShare: 0, TotalShare: 1},
				{Name: "read", Self: 0, Total: 2, SelfShare: 0, TotalShare: 0.5},
				{Name: "sys_read", Kind: "kernel", Self: 2, Total: 2, SelfShare: 0.5, TotalShare: 0.5},
				{Name: "helper", Kind: "inlined", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
				{Name: "jitted", Kind: "jit", Self: 0, Total: 1, SelfShare: 0, TotalShare: 0.25},
				{Name: "read", Kind: "kernel", Self: 1, Total: 1, SelfShare: 0.25, TotalShare: 0.25},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Hot(hotStacks(t, tt.stacks...), tt.n)
			if got.Weight != tt.weight {
				t.Errorf("Weight = %d, want %d", got.Weight, tt.weight)
			}
			if !reflect.DeepEqual(got.BySelf, tt.bySelf) {
				t.Errorf("BySelf:\n got %+v\nwant %+v", got.BySelf, tt.bySelf)
			}
			if !reflect.DeepEqual(got.ByTotal, tt.byTotal) {
				t.Errorf("ByTotal:\n got %+v\nwant %+v", got.ByTotal, tt.byTotal)
			}
		})
	}
}

func TestHotOrderIndependent(t *testing.T) {
	stacks := hotStacks(t, "app;main;b 2", "app;main;a 2", "app;x;a 1", "app;x;b 1")
	want := Hot(stacks, 0)
	for i := range stacks {
		rotated := append(append([]Stack(nil), stacks[i:]...), stacks[:i]...)
		if got := Hot(rotated, 0); !reflect.DeepEqual(got, want) {
			t.Errorf("rotation %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestHotJSON(t *testing.T) {
	hs := Hot(hotStacks(t, "app;main;sys_read_[k] 1"), 1)
	b, err := json.Marshal(hs)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"weight":1,` +
		`"by_self":[{"name":"sys_read","kind":"kernel","self":1,"total":1,"self_share":1,"total_share":1}],` +
		`"by_total":[{"name":"main","self":0,"total":1,"self_share":0,"total_share":1}]}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

func TestHotMedianDepth(t *testing.T) {
	tests := []struct {
		name   string
		stacks []string
		want   float64
	}{
		{"empty", nil, 0},
		{"comm only", []string{"app 3"}, 0},
		{"single", []string{"app;main;work 5"}, 2},
		{"weighted", []string{"app;a 1", "app;a;b;c;d;e 3"}, 5},
		{"even weight averages the middle", []string{"app;a 2", "app;a;b;c;d 2"}, 2.5},
		{"order does not matter", []string{"app;a;b;c 1", "app;a 1", "app;a;b 1"}, 2},
		{"zero counts ignored", []string{"app;a;b;c;d 0", "app;a 1"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MedianDepth(hotStacks(t, tt.stacks...)); got != tt.want {
				t.Errorf("MedianDepth = %v, want %v", got, tt.want)
			}
		})
	}
}
