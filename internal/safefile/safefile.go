// Package safefile writes and reads user files without losing or half-writing them.
//
// Write replaces a regular file atomically: the bytes go to a temporary file in the same
// directory, which is synced and renamed over the target, and the directory is synced. The rules
// for what is already at the path are:
//
//   - a symbolic link is never replaced: it is resolved and the file it points to is written
//     (a dangling link is refused, since its target may lie anywhere);
//   - a character device (/dev/null, a terminal) or a FIFO is written through, like a shell
//     redirection: opened for writing and never renamed over;
//   - a directory, socket or block device is refused;
//   - a regular file keeps its permission bits, and its owner and group where the process may
//     set them; a read-only file (no write bit, or not writable by this process) is refused;
//   - with Options.Expect, a file that changed since it was read (size, modification time or
//     content) is refused with ErrModified instead of silently losing the other writer's edit.
//
// ReadFile reads only regular files, up to a size cap, and honours its context, so a FIFO or
// /dev/zero given as input is refused at once instead of hanging or growing without bound.
package safefile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

var (
	// ErrModified reports that the target changed since it was read.
	ErrModified = errors.New("changed on disk since it was read")
	// ErrReadOnly reports a target that is not writable.
	ErrReadOnly = errors.New("file is read-only")
	// ErrNotRegular reports a path that is not a regular file where one is required.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge reports a file larger than the reader's cap.
	ErrTooLarge = errors.New("file too large")
)

// Stamp identifies the content of a file at the time it was read.
type Stamp struct {
	Exists  bool
	Size    int64
	ModTime time.Time
	Sum     [sha256.Size]byte
}

// StampOf returns the stamp of data read from a file with info fi.
func StampOf(fi fs.FileInfo, data []byte) Stamp {
	return Stamp{Exists: true, Size: fi.Size(), ModTime: fi.ModTime(), Sum: sha256.Sum256(data)}
}

// Options controls Write. The zero value writes new files with mode 0644 and keeps an existing
// file's mode.
type Options struct {
	// Perm is the mode of a new file; 0 means 0644.
	Perm fs.FileMode
	// ForcePerm applies Perm to an existing file too (secrets, executables).
	ForcePerm bool
	// Expect, when set, is the stamp of the target when it was read; the write is refused with
	// ErrModified if the target differs from it just before the rename.
	Expect *Stamp
	// AllowReadOnly replaces a file without write permission bits (generated files only).
	AllowReadOnly bool
}

// WriteFile is Write with a mode for new files and no other checks.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, data, Options{Perm: perm})
}

// Write writes data to path by the rules in the package documentation.
func Write(path string, data []byte, opt Options) error {
	if err := write(path, data, opt); err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

func write(path string, data []byte, opt Options) error {
	perm := opt.Perm
	if perm == 0 {
		perm = 0o644
	}
	target := path
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fi = nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		resolved, rerr := filepath.EvalSymlinks(path)
		if rerr != nil {
			return fmt.Errorf("symbolic link cannot be resolved, refusing to replace it: %w", rerr)
		}
		target = resolved
		if fi, err = os.Stat(target); err != nil {
			return err
		}
	}
	if fi != nil {
		switch m := fi.Mode(); {
		case m.IsRegular():
		case m&fs.ModeCharDevice != 0, m&fs.ModeNamedPipe != 0:
			if opt.Expect != nil {
				return fmt.Errorf("%w: %s", ErrNotRegular, describe(m))
			}
			return writeThrough(target, data)
		default:
			return fmt.Errorf("%w: refusing to replace a %s", ErrNotRegular, describe(m))
		}
		if !opt.AllowReadOnly {
			if err := checkWritable(target, fi); err != nil {
				return err
			}
		}
		if !opt.ForcePerm {
			perm = fi.Mode().Perm()
		}
	}
	if opt.Expect != nil {
		if err := checkUnchanged(target, *opt.Expect); err != nil {
			return err
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if fi != nil {
		keepOwner(tmp, fi) // before Chmod: changing the owner clears set-id bits
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Check again as late as possible: the window left is the rename itself.
	if opt.Expect != nil {
		if err := checkUnchanged(target, *opt.Expect); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	ok = true
	// Make the rename durable; not every system can sync a directory, and the data is safe.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "file of mode " + m.String()
}

// writeThrough writes data into an existing device or FIFO without creating or truncating.
// A FIFO is opened without blocking, so one with no reader fails at once instead of hanging.
func writeThrough(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|oNonblock, 0)
	if err != nil {
		if isNoReader(err) {
			return fmt.Errorf("named pipe has no reader: %w", err)
		}
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Close())
}

func checkWritable(path string, fi fs.FileInfo) error {
	if fi.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("%w (mode %v)", ErrReadOnly, fi.Mode().Perm())
	}
	// Opening without O_TRUNC changes nothing; it asks the kernel whether this process may write
	// the file, which a rename in a writable directory would otherwise bypass.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("%w: %w", ErrReadOnly, err)
		}
		return err
	}
	return f.Close()
}

func checkUnchanged(path string, want Stamp) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if want.Exists {
			return fmt.Errorf("%w: it was removed", ErrModified)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if !want.Exists {
		return fmt.Errorf("%w: it was created by another writer", ErrModified)
	}
	if fi.Size() != want.Size || !fi.ModTime().Equal(want.ModTime) {
		return fmt.Errorf("%w (size %d → %d, modified %s → %s); not overwriting another writer's edit",
			ErrModified, want.Size, fi.Size(), want.ModTime.Format(time.RFC3339Nano), fi.ModTime().Format(time.RFC3339Nano))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), want.Sum[:]) {
		return fmt.Errorf("%w (content differs at equal size and time); not overwriting another writer's edit", ErrModified)
	}
	return nil
}

// Same reports whether a and b name the same existing file (after symbolic links).
func Same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}

// DefaultLimit is the read cap callers use for notebooks: far above any real notebook
// (outputs included), far below what would exhaust memory.
const DefaultLimit = 512 << 20

// ReadFile reads the regular file at path, at most limit bytes (0 means DefaultLimit), checking
// ctx between chunks. It refuses FIFOs, devices, directories and sockets without blocking, and
// returns the stamp to pass to Write as Options.Expect.
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, Stamp, error) {
	data, st, err := readFile(ctx, path, limit)
	if err != nil {
		return nil, Stamp{}, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return data, st, nil
}

func readFile(ctx context.Context, path string, limit int64) ([]byte, Stamp, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if err := ctx.Err(); err != nil {
		return nil, Stamp{}, err
	}
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, Stamp{}, unwrapPath(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, Stamp{}, unwrapPath(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, Stamp{}, fmt.Errorf("%w: it is a %s", ErrNotRegular, describe(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, Stamp{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, fi.Size(), limit)
	}
	buf := make([]byte, 0, fi.Size()+1)
	const chunk = 1 << 20
	for {
		if err := ctx.Err(); err != nil {
			return nil, Stamp{}, err
		}
		if int64(len(buf)) > limit {
			return nil, Stamp{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		if cap(buf)-len(buf) < chunk {
			buf = append(buf, make([]byte, chunk)...)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):min(cap(buf), len(buf)+chunk)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, Stamp{}, unwrapPath(err)
		}
	}
	if int64(len(buf)) > limit {
		return nil, Stamp{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf, StampOf(fi, buf), nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
