// Package bundletest builds the bundles a hostile or broken writer could
// make — gigabytes of zeros in kilobytes, windows too large to decode,
// manifests of any shape, zips of any layout — for the tests of perfcap's
// bundle readers and of the commands that use them.
//
// It does not use package bundle: a crafted bundle must not depend on the
// code it attacks. Large runs of zeros are never held in memory: they are
// streamed into the compressor, and their SHA-256 and CRC-32 computed the
// same way.
package bundletest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Created is the time the crafted bundles claim.
var Created = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// Member is one archive member: Data followed by Zeros zero bytes.
type Member struct {
	Name  string
	Data  []byte
	Zeros int64
}

// Size is the member's length.
func (m Member) Size() int64 { return int64(len(m.Data)) + m.Zeros }

// SHA256 is the member's SHA-256 in hex, computed without holding it.
func (m Member) SHA256() string {
	h := sha256.New()
	h.Write(m.Data)
	writeZeros(h, m.Zeros)
	return hex.EncodeToString(h.Sum(nil))
}

// zeros is a block of zeros to hash and write from.
var zeros = make([]byte, 1<<20)

// writeZeros writes n zero bytes to w, which must not fail.
func writeZeros(w io.Writer, n int64) {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		w.Write(zeros[:k])
		n -= k
	}
}

// File is a manifest entry.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Listing returns the manifest entries that match members.
func Listing(members ...Member) []File {
	files := make([]File, len(members))
	for i, m := range members {
		files[i] = File{Path: m.Name, Size: m.Size(), SHA256: m.SHA256()}
	}
	return files
}

// Manifest returns a version 1 manifest.json listing files, with the
// fields of override set on top (any JSON value, including ones of the
// wrong type or size).
func Manifest(files []File, override map[string]any) []byte {
	m := map[string]any{
		"format":          "perfcap-bundle",
		"version":         1,
		"perfcap_version": "bundletest",
		"created":         Created,
		"command":         []string{"true"},
		"cwd":             "/src",
		"started":         Created.Add(-time.Second),
		"ended":           Created,
		"exit":            map[string]any{"code": 0},
		"interrupted":     false,
		"files":           files,
	}
	for k, v := range override {
		m[k] = v
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// WriteTarZst writes a tar.zst bundle to path: manifest.json holding
// manifest, then members in the order given, compressed by the real zstd
// encoder.
func WriteTarZst(path string, manifest []byte, members ...Member) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		f.Close()
		return err
	}
	tw := tar.NewWriter(zw)
	err = writeTar(tw, append([]Member{{Name: "manifest.json", Data: manifest}}, members...))
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeTar(tw *tar.Writer, members []Member) error {
	for _, m := range members {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: m.Name, Size: m.Size(), Mode: 0o644, ModTime: Created}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(m.Data); err != nil {
			return err
		}
		for n := m.Zeros; n > 0; {
			k := min(n, int64(len(zeros)))
			if _, err := tw.Write(zeros[:k]); err != nil {
				return err
			}
			n -= k
		}
	}
	return nil
}

// ZstdFrame builds a zstd frame by hand: raw blocks holding prefix, then
// RLE blocks holding zeros zero bytes. window is the frame's
// Window_Descriptor byte (exponent<<3 | mantissa, the window being
// 2^(10+exponent) plus mantissa eighths of it), so a frame can ask for a
// window any decoder should refuse to allocate.
func ZstdFrame(window byte, prefix []byte, zeros int64) []byte {
	const maxBlock = 128 << 10
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, window}
	block := func(typ byte, size int, last bool) {
		h := uint32(size)<<3 | uint32(typ)<<1
		if last {
			h |= 1
		}
		b = append(b, byte(h), byte(h>>8), byte(h>>16))
	}
	if len(prefix) == 0 && zeros == 0 {
		block(0, 0, true)
	}
	for len(prefix) > 0 {
		n := min(len(prefix), maxBlock)
		block(0, n, zeros == 0 && n == len(prefix))
		b = append(b, prefix[:n]...)
		prefix = prefix[n:]
	}
	for zeros > 0 {
		n := min(zeros, maxBlock)
		block(1, int(n), n == zeros)
		b = append(b, 0)
		zeros -= n
	}
	return b
}

// TarStream is the uncompressed tar stream of manifest.json holding
// manifest followed by members, for ZstdFrame's prefix (zeros of members
// are written out: keep them small).
func TarStream(manifest []byte, members ...Member) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := writeTar(tw, append([]Member{{Name: "manifest.json", Data: manifest}}, members...)); err != nil {
		panic(err)
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// WriteZip writes a zip bundle to path: manifest.json holding manifest,
// then members, deflated as perfcap exports them. Runs of zeros are
// deflated once per MiB and the block repeated, so that gigabytes take
// seconds.
func WriteZip(path string, manifest []byte, members ...Member) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	err = func() error {
		for _, m := range append([]Member{{Name: "manifest.json", Data: manifest}}, members...) {
			if err := writeZipMember(zw, m); err != nil {
				return err
			}
		}
		return nil
	}()
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeZipMember(zw *zip.Writer, m Member) error {
	crc := crc32.NewIEEE()
	crc.Write(m.Data)
	writeZeros(crc, m.Zeros)
	var data bytes.Buffer
	fw, err := flate.NewWriter(&data, flate.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := fw.Write(m.Data); err != nil {
		return err
	}
	if err := fw.Flush(); err != nil {
		return err
	}
	const chunk = 1 << 20
	var block bytes.Buffer
	if m.Zeros >= chunk {
		bw, _ := flate.NewWriter(&block, flate.BestSpeed)
		bw.Write(zeros[:chunk])
		bw.Flush()
	}
	h := &zip.FileHeader{Name: m.Name, Method: zip.Deflate, Modified: Created,
		CRC32: crc.Sum32(), UncompressedSize64: uint64(m.Size())}
	h.SetMode(0o644)
	tail := m.Zeros % chunk
	// A fresh compressor for the rest: its back-references stay inside
	// what it writes, so the blocks may follow any whole ones.
	var end bytes.Buffer
	ew, _ := flate.NewWriter(&end, flate.BestSpeed)
	ew.Write(zeros[:tail])
	ew.Close()
	h.CompressedSize64 = uint64(data.Len()) + uint64(m.Zeros/chunk)*uint64(block.Len()) + uint64(end.Len())
	w, err := zw.CreateRaw(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(data.Bytes()); err != nil {
		return err
	}
	for range m.Zeros / chunk {
		if _, err := w.Write(block.Bytes()); err != nil {
			return err
		}
	}
	_, err = w.Write(end.Bytes())
	return err
}
