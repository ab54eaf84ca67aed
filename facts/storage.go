package facts

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// StorageFacts describes the filesystem and disk behind the working
// directory.
type StorageFacts struct {
	// Dir is the working directory with symbolic links resolved.
	Dir string `json:"dir"`
	// MountPoint, FSType and Source are the mount holding Dir, from
	// /proc/self/mountinfo.
	MountPoint string `json:"mount_point"`
	FSType     string `json:"fs_type"`
	Source     string `json:"source"`
	// Device is the block device of the mount, such as "nvme0n1p2" or
	// "dm-0"; empty for filesystems without one (tmpfs, overlay, network).
	Device string `json:"device,omitempty"`
	// Disks are the whole disks behind Device, after walking up from a
	// partition and down through device-mapper or md slaves.
	Disks []string `json:"disks,omitempty"`
	// Kind is what the storage is: "nvme", "ssd", "hdd" (from the rotational
	// flag), "virtio (ssd)" or "virtio (hdd)" (a virtual disk whose flag is
	// whatever the hypervisor set, often 1 even on flash), "zram (compressed
	// RAM)", "loop (file-backed ...)", "tmpfs (memory)", "network (nfs4)",
	// "overlay on ssd"... Several disks of different kinds are joined by ", ".
	Kind string `json:"kind,omitempty"`
}

// storageSection finds the mount and the disk behind the working directory.
func (c *factsCollector) storageSection(context.Context) func(*Facts) {
	if c.dirErr != nil {
		return func(f *Facts) { f.unknownErr("storage", c.dirErr) }
	}
	st, err := readStorage(c.root, c.dir)
	return func(f *Facts) {
		if err != nil {
			f.unknownErr("storage", err)
			return
		}
		f.Storage = st
	}
}

// readStorage describes the storage of dir, an absolute path with links
// resolved, from /proc/self/mountinfo and /sys below root.
func readStorage(root, dir string) (*StorageFacts, error) {
	data, err := os.ReadFile(filepath.Join(root, "proc/self/mountinfo"))
	if err != nil {
		return nil, err
	}
	mounts := parseMountinfo(string(data))
	m, ok := mountOf(mounts, dir)
	if !ok {
		return nil, fmt.Errorf("no mount in /proc/self/mountinfo holds %s", dir)
	}
	st := &StorageFacts{Dir: dir, MountPoint: m.mountPoint, FSType: m.fsType, Source: m.source}
	st.Device = blockDeviceOf(root, m)
	if st.Device != "" {
		st.Disks = disksOf(root, st.Device, 0)
		st.Kind = disksKind(root, st.Disks)
		return st, nil
	}
	st.Kind = fsKind(m.fsType)
	if m.fsType == "overlay" {
		if upper := m.superOption("upperdir"); upper != "" {
			if um, ok := mountOf(mounts, upper); ok {
				if dev := blockDeviceOf(root, um); dev != "" {
					st.Disks = disksOf(root, dev, 0)
					st.Kind = "overlay on " + disksKind(root, st.Disks)
				}
			}
		}
	}
	return st, nil
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	majMin     string // "259:2"
	mountPoint string
	fsType     string
	source     string
	superOpts  string
}

// superOption returns the value of key=value in the superblock options.
func (m mountEntry) superOption(key string) string {
	for opt := range strings.SplitSeq(m.superOpts, ",") {
		if v, ok := strings.CutPrefix(opt, key+"="); ok {
			return v
		}
	}
	return ""
}

// parseMountinfo parses proc(5) mountinfo lines: ID, parent, major:minor,
// root, mount point, options, optional fields up to "-", then filesystem
// type, source and superblock options. Malformed lines are skipped.
func parseMountinfo(data string) []mountEntry {
	var mounts []mountEntry
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 6 || len(fields) < sep+3 {
			continue
		}
		e := mountEntry{
			majMin:     fields[2],
			mountPoint: unescapeMountinfo(fields[4]),
			fsType:     fields[sep+1],
			source:     unescapeMountinfo(fields[sep+2]),
		}
		if len(fields) > sep+3 {
			e.superOpts = fields[sep+3]
		}
		mounts = append(mounts, e)
	}
	return mounts
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountOf returns the mount holding dir: the longest mount point that is
// dir or one of its parents, the later of equal ones since a later mount
// hides an earlier one.
func mountOf(mounts []mountEntry, dir string) (mountEntry, bool) {
	best, found := mountEntry{}, false
	for _, m := range mounts {
		mp := m.mountPoint
		under := mp == "/" || dir == mp || strings.HasPrefix(dir, mp+"/")
		if under && (!found || len(mp) >= len(best.mountPoint)) {
			best, found = m, true
		}
	}
	return best, found
}

// blockDeviceOf names the block device behind a mount, as in /sys/block:
// through /sys/dev/block/MAJ:MIN, or, for filesystems such as btrfs that
// report an anonymous device number, through the /dev path of the source.
func blockDeviceOf(root string, m mountEntry) string {
	if major, _, ok := strings.Cut(m.majMin, ":"); ok && major != "0" {
		uevent, err := factsReadFile(root, "sys/dev/block/"+m.majMin+"/uevent")
		if err == nil {
			for line := range strings.Lines(uevent) {
				if name, ok := strings.CutPrefix(strings.TrimSpace(line), "DEVNAME="); ok {
					return name
				}
			}
		}
	}
	if !strings.HasPrefix(m.source, "/dev/") {
		return ""
	}
	name := filepath.Base(m.source)
	if resolved, err := filepath.EvalSymlinks(filepath.Join(root, m.source)); err == nil {
		name = filepath.Base(resolved)
	}
	if _, err := os.Stat(filepath.Join(root, "sys/class/block", name)); err != nil {
		return ""
	}
	return name
}

// maxSlaveDepth bounds the walk through stacked devices (dm on md on
// partitions...), which a corrupt tree could make endless.
const maxSlaveDepth = 8

// disksOf returns the whole disks behind the block device name: a partition
// is replaced by the disk holding it, and a device-mapper or md device by
// the disks behind its slaves.
func disksOf(root, name string, depth int) []string {
	if _, err := os.Stat(filepath.Join(root, "sys/class/block", name, "partition")); err == nil {
		if disk := diskOfPartition(root, name); disk != "" {
			name = disk
		}
	}
	slaves, _ := os.ReadDir(filepath.Join(root, "sys/block", name, "slaves"))
	if len(slaves) == 0 || depth >= maxSlaveDepth {
		return []string{name}
	}
	var disks []string
	for _, s := range slaves {
		for _, d := range disksOf(root, s.Name(), depth+1) {
			if !slices.Contains(disks, d) {
				disks = append(disks, d)
			}
		}
	}
	return disks
}

// diskOfPartition finds the disk in /sys/block whose directory holds the
// partition's.
func diskOfPartition(root, part string) string {
	disks, _ := os.ReadDir(filepath.Join(root, "sys/block"))
	for _, d := range disks {
		if _, err := os.Stat(filepath.Join(root, "sys/block", d.Name(), part)); err == nil {
			return d.Name()
		}
	}
	return ""
}

// disksKind describes a set of disks, see StorageFacts.Kind.
func disksKind(root string, disks []string) string {
	var kinds []string
	for _, d := range disks {
		if k := diskKind(root, d); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return strings.Join(kinds, ", ")
}

// diskKind describes one whole disk from its name and rotational flag.
func diskKind(root, disk string) string {
	rotational := func() string {
		switch v, _ := factsReadFile(root, "sys/block/"+disk+"/queue/rotational"); v {
		case "0":
			return "ssd"
		case "1":
			return "hdd"
		}
		return "unknown"
	}
	switch {
	case strings.HasPrefix(disk, "nvme"):
		return "nvme"
	case strings.HasPrefix(disk, "zram"):
		return "zram (compressed RAM)"
	case strings.HasPrefix(disk, "loop"):
		if backing, err := factsReadFile(root, "sys/block/"+disk+"/loop/backing_file"); err == nil && backing != "" {
			return "loop (file-backed: " + backing + ")"
		}
		return "loop (file-backed)"
	case strings.HasPrefix(disk, "ram"):
		return "ramdisk (memory)"
	case strings.HasPrefix(disk, "vd"):
		return "virtio (" + rotational() + ")"
	case strings.HasPrefix(disk, "xvd"):
		return "xen (" + rotational() + ")"
	case strings.HasPrefix(disk, "mmcblk"):
		return "mmc (sd/emmc)"
	case strings.HasPrefix(disk, "dm-"):
		return "device-mapper"
	case strings.HasPrefix(disk, "md"):
		return "md raid"
	}
	return rotational()
}

// fsKind describes a filesystem that has no block device.
func fsKind(fsType string) string {
	switch fsType {
	case "tmpfs", "ramfs":
		return fsType + " (memory)"
	case "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "lustre", "afs":
		return "network (" + fsType + ")"
	case "9p", "virtiofs", "vboxsf", "vmhgfs", "fuse.vmhgfs-fuse", "prl_fs":
		return "host share (" + fsType + ")"
	}
	if strings.HasPrefix(fsType, "fuse") {
		return "fuse (" + fsType + ")"
	}
	return fsType
}
