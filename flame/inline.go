package flame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Binary is an executable or library the caller kept open while the
// recorded processes ran it, for code whose file is gone or replaced by the
// time perf script reads the recording: the test binary `go test` deletes,
// the program of `go run`, a binary rebuilt since. It is told apart from
// another file at the same path by its device and inode, as perf's
// mapping records name it.
type Binary struct {
	// Path is the file's path when it was mapped.
	Path string
	// Major, Minor and Ino identify the file.
	Major, Minor uint32
	Ino          uint64
	// File is the open file; the caller closes it.
	File *os.File
}

// InlineOptions says where an InlineReader finds the binaries.
type InlineOptions struct {
	// Binaries are files kept open by the caller, used before the files at
	// the mapped paths.
	Binaries []Binary
	// Warn receives one line for each binary that could not be read
	// (corrupt debug information); nil drops them.
	Warn func(string)
}

// InlineStats says what an InlineReader added.
type InlineStats struct {
	// Binaries counts the ELF files opened, Addresses the distinct
	// addresses looked up in them.
	Binaries, Addresses int
	// Inlined counts the inlined frames added to stacks; Named the frames
	// perf left unnamed ("[unknown]") that were named from a binary;
	// Lines the source lines added under frames.
	Inlined, Named, Lines int64
}

// InlineReader adds inlined functions to `perf script --no-inline` text,
// resolving each distinct address once from the binary's DWARF, instead of
// perf script's own inline resolution (17 to 30 times slower on a
// dwarf-recorded cargo bench).
//
// Its input is perf script text printed with -F +pid (headers "comm
// pid/tid ...") and --show-mmap-events --show-task-events, whose side-band
// records tell which file each process mapped where. Its output is the
// same text without the side-band records, where every frame in an ELF
// file with debug information is preceded by the functions inlined at its
// address, innermost first, as perf script prints them:
//
//	\t          10ee42 criterion_demo::interpret (inlined)
//	\t          10ee42 criterion::bencher::Bencher<M>::iter+0x332 (/path/to/bench)
//
// Each such frame is followed by its source position, when the debug
// information gives it, as perf script -F +srcline prints it (with full
// paths):
//
//	\t          10ee42 criterion_demo::interpret (inlined)
//	  /home/me/criterion-demo/src/lib.rs:42
//
// and a frame perf could not name ("[unknown]") is named from the binary
// when it can be: from the files in Options.Binaries, told apart by device
// and inode, or else from the file at the mapped path when it is still the
// file that was mapped. A frame's address is looked up as is for the
// sampled instruction and less one for return addresses, so that a call at
// the end of an inlined function is charged to it.
//
// Only the compilation units that hold sampled code are parsed, each once;
// lines are passed through otherwise untouched.
type InlineReader struct {
	src  *bufio.Reader
	opts InlineOptions
	out  []byte // output not yet read
	err  error

	maps     procMaps
	pid      int  // the pid of the record being read
	inRecord bool // a sample header was read, its frames follow
	long     bool // the line being passed through is longer than the buffer
	frame    int  // the index of the next frame in the record

	// open opens a mapped file; tests replace it.
	open func(path string) (*os.File, error)
	bins map[binKey]*elfBinary // nil entries: no usable file
	// rendered holds the output of frame lines already read, by process,
	// generation of its mappings and whether the frame is a caller's.
	rendered map[renderKey]map[string]rendering
	cur      map[string]rendering // rendered[curKey]
	curKey   renderKey
	cached   int
	cache    map[addrKey][]inlineFrame
	buf      []inlineFrame
	stats    InlineStats
}

// renderKey tells apart the frame lines that may come out differently.
type renderKey struct {
	pid int
	gen uint32
	ret bool
}

// rendering is the output of one frame line.
type rendering struct {
	text                  []byte
	inlined, named, lines int32
}

// maxRendered bounds the frame lines whose output is kept; past it they
// are forgotten and rendered again.
const maxRendered = 1 << 16

// binKey identifies a mapped file.
type binKey struct {
	major, minor uint32
	ino          uint64
	buildID      string
	path         string
}

// addrKey is an address looked up in a binary.
type addrKey struct {
	bin *elfBinary
	pc  uint64
}

// NewInlineReader returns an InlineReader of the perf script text r holds.
func NewInlineReader(r io.Reader, opts InlineOptions) *InlineReader {
	return &InlineReader{
		src:      bufio.NewReaderSize(r, scriptBufSize),
		opts:     opts,
		pid:      -1,
		open:     openMapped,
		bins:     make(map[binKey]*elfBinary),
		rendered: make(map[renderKey]map[string]rendering),
		cache:    make(map[addrKey][]inlineFrame),
	}
}

// Stats returns what the reader added so far.
func (r *InlineReader) Stats() InlineStats { return r.stats }

// Close releases the binaries the reader mapped. The Binaries of the
// options stay open.
func (r *InlineReader) Close() error {
	for k, b := range r.bins {
		if b != nil {
			b.close()
		}
		delete(r.bins, k)
	}
	return nil
}

// Read returns the text with inlined frames added.
func (r *InlineReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// fill reads one line of input into r.out, with what it adds.
func (r *InlineReader) fill() {
	r.out = r.out[:0]
	line, err := r.src.ReadSlice('\n')
	if err == bufio.ErrBufferFull || r.long {
		// An overlong line passes through untouched, in pieces, for the
		// ScriptReader to reject.
		r.out = append(r.out, line...)
		r.long, r.inRecord = err == bufio.ErrBufferFull, false
		if err != nil && err != bufio.ErrBufferFull {
			r.err = err
		}
		return
	}
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("reading perf script: %w", err)
		}
		r.err = err
		if len(line) == 0 {
			return
		}
	}
	body := bytes.TrimRight(line, "\r\n")
	switch {
	case len(trimSpace(body)) == 0:
		r.inRecord = false
	case r.inRecord && (body[0] == '\t' || (body[0] == ' ' && !looksLikeHeader(body))):
		r.frameLine(line, body)
		return
	case body[0] != ' ' && body[0] != '\t' && isSideband(body):
		if ev, ok := parseSideband(body); ok {
			r.maps.apply(&ev)
		}
		r.inRecord = false
		return
	default:
		r.header(body)
	}
	r.out = append(r.out, line...)
}

// header notes the pid of the sample header line.
func (r *InlineReader) header(line []byte) {
	r.inRecord, r.frame, r.pid = true, 0, -1
	var f [maxHeaderFields][2]int
	_, e := headerFields(line, &f)
	for i := 1; i < e; i++ {
		tok := line[f[i][0]:f[i][1]]
		if bytes.IndexByte(tok, '/') < 0 {
			continue
		}
		if pid, _, ok := parsePIDTID(tok); ok && pid >= 0 {
			r.pid = pid
			return
		}
	}
}

// frameLine copies one frame line to r.out, preceded by the functions
// inlined at its address, and named when perf left it unnamed.
func (r *InlineReader) frameLine(line, body []byte) {
	idx := r.frame
	r.frame++
	// A frame line comes out the same every time in one process between
	// two changes of its mappings: most lines are rendered once.
	key := renderKey{r.pid, r.maps.gen[r.pid], idx > 0}
	if r.cur == nil || key != r.curKey {
		if r.cur = r.rendered[key]; r.cur == nil {
			if r.cached >= maxRendered {
				clear(r.rendered)
				r.cached = 0
			}
			r.cur = make(map[string]rendering)
			r.rendered[key] = r.cur
		}
		r.curKey = key
	}
	if rd, ok := r.cur[string(line)]; ok {
		r.out = append(r.out, rd.text...)
		r.stats.Inlined += int64(rd.inlined)
		r.stats.Named += int64(rd.named)
		r.stats.Lines += int64(rd.lines)
		return
	}
	inlined, named, lines := r.stats.Inlined, r.stats.Named, r.stats.Lines
	r.render(line, body, idx)
	r.cur[string(line)] = rendering{
		text:    bytes.Clone(r.out),
		inlined: int32(r.stats.Inlined - inlined),
		named:   int32(r.stats.Named - named),
		lines:   int32(r.stats.Lines - lines),
	}
	r.cached++
}

// render writes one frame line to r.out, preceded by the functions inlined
// at its address, and named when perf left it unnamed. idx is the frame's
// place in its record.
func (r *InlineReader) render(line, body []byte, idx int) {
	t := trimSpace(body)
	sp := bytes.IndexByte(t, ' ')
	if sp <= 0 || sp > 16 {
		r.out = append(r.out, line...)
		return
	}
	addr, ok := parseHex(t[:sp])
	rest := trimSpace(t[sp:])
	open := -1
	if n := len(rest); n > 0 && rest[n-1] == ')' {
		open = dsoStart(rest)
	}
	if !ok || open < 0 || r.pid < 0 {
		r.out = append(r.out, line...)
		return
	}
	dso := bytes.TrimSuffix(rest[open+1:len(rest)-1], []byte(" (deleted)"))
	sym := stripOffset(trimSpace(rest[:open]))
	if len(dso) == 0 || dso[0] != '/' {
		r.out = append(r.out, line...)
		return
	}
	unnamed := string(sym) == "[unknown]"
	chain := r.chain(string(dso), addr, idx > 0, unnamed)
	if len(chain) == 0 {
		r.out = append(r.out, line...)
		return
	}
	// The address as perf wrote it, with its indentation.
	lead := body[:len(body)-len(t)+sp]
	for _, f := range chain[:len(chain)-1] {
		r.out = append(r.out, lead...)
		r.out = append(r.out, ' ')
		r.out = append(r.out, f.name...)
		r.out = append(r.out, " (inlined)\n"...)
		r.srcline(f)
		r.stats.Inlined++
	}
	outer := chain[len(chain)-1]
	if unnamed && outer.name != "" {
		r.out = append(r.out, lead...)
		r.out = append(r.out, ' ')
		r.out = append(r.out, outer.name...)
		r.out = append(r.out, ' ')
		r.out = append(r.out, rest[open:]...)
		r.out = append(r.out, '\n')
		r.stats.Named++
	} else {
		r.out = append(r.out, line...)
		if line[len(line)-1] != '\n' {
			r.out = append(r.out, '\n')
		}
	}
	r.srcline(outer)
}

// srcline writes the source line of f, when its position is known, as
// perf script -F +srcline does.
func (r *InlineReader) srcline(f inlineFrame) {
	if f.file != "" && f.line > 0 {
		r.out = appendSrcline(r.out, f.file, f.line)
		r.stats.Lines++
	}
}

// chain returns the functions at addr, a frame of dso in the current
// process, innermost first; nil when the binary or its debug information
// is not at hand. ret says addr is a return address; unnamed that perf
// gave the frame no name, which the symbol table may then give.
func (r *InlineReader) chain(dso string, addr uint64, ret, unnamed bool) []inlineFrame {
	m, off, ok := r.maps.find(r.pid, dso, addr)
	if !ok {
		return nil
	}
	bin := r.binary(m)
	if bin == nil {
		return nil
	}
	pc, ok := bin.vaddr(off)
	if !ok {
		return nil
	}
	if ret && pc > 0 {
		pc--
	}
	key := addrKey{bin, pc}
	c, ok := r.cache[key]
	if !ok {
		c = r.lookup(bin, pc)
		r.cache[key] = c
	}
	if len(c) == 0 && unnamed {
		// No debug information: the symbol table names the function.
		if name, err := bin.symbol(pc); err != nil {
			r.warn(bin, err)
		} else if name != "" {
			c = []inlineFrame{{name: name}}
			r.cache[key] = c
		}
	}
	return c
}

// lookup reads the functions at pc from bin's DWARF.
func (r *InlineReader) lookup(bin *elfBinary, pc uint64) []inlineFrame {
	r.stats.Addresses++
	r.buf = r.buf[:0]
	if dw, err := bin.dwarf(); dw != nil {
		var ferr error
		guarded(&ferr, bin.name, func() error {
			var err error
			r.buf, err = dw.frames(pc, r.buf)
			return err
		})
		if ferr != nil {
			r.warn(bin, ferr)
		}
	} else if err != nil {
		r.warn(bin, err)
	}
	if len(r.buf) == 0 {
		// Go binaries linked with -s -w (go test, go run) have no DWARF,
		// but their own function table, inlined calls included.
		var err error
		if r.buf, err = bin.goFrames(pc, r.buf); err != nil {
			r.warn(bin, err)
		}
	}
	if len(r.buf) == 0 {
		return nil
	}
	return append([]inlineFrame(nil), r.buf...)
}

// warn reports a binary that cannot be read, once: a fault sets it aside.
func (r *InlineReader) warn(bin *elfBinary, err error) {
	if errors.Is(err, errFault) {
		for k, b := range r.bins {
			if b == bin {
				r.bins[k] = nil
			}
		}
	}
	if r.opts.Warn != nil {
		r.opts.Warn(fmt.Sprintf("inlined functions of %s are left out: %s", bin.name, oneLine(err)))
	}
}

// binary returns the file mapping m maps, opened; nil when it is not at
// hand or is not the file that was mapped.
func (r *InlineReader) binary(m *mapping) *elfBinary {
	key := binKey{m.major, m.minor, m.ino, m.buildID, m.path}
	if b, ok := r.bins[key]; ok {
		return b
	}
	var b *elfBinary
	if f := r.held(m); f != nil {
		b, _ = openBinary(f, m.path)
	} else if f, err := r.open(m.path); err == nil {
		if r.sameFile(f, m) {
			b, _ = openBinary(f, m.path)
		}
		f.Close()
	}
	if b != nil {
		r.stats.Binaries++
	}
	r.bins[key] = b
	return b
}

// held returns the kept-open file that m maps: the same device and inode,
// or the same inode and path (an overlay file system shows its files under
// a device of its own, while perf records the one below).
func (r *InlineReader) held(m *mapping) *os.File {
	if m.ino == 0 {
		return nil
	}
	var samePath *os.File
	for _, h := range r.opts.Binaries {
		if h.File == nil || h.Ino != m.ino {
			continue
		}
		if h.Major == m.major && h.Minor == m.minor {
			return h.File
		}
		if h.Path == m.path {
			samePath = h.File
		}
	}
	return samePath
}

// openMapped opens the file at a mapped path, without blocking on
// something that is no longer a regular file (a FIFO put in its place).
func openMapped(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// sameFile reports whether f, opened at m's path, is still the file m
// mapped (as held does). Without a device and inode to compare, as with
// records holding a build-id, the file is taken as it is, as perf does.
func (r *InlineReader) sameFile(f *os.File, m *mapping) bool {
	if m.ino == 0 {
		return true
	}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return false
	}
	return st.Ino == m.ino
}
