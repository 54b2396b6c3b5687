package publish

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// checkPath reports why p cannot be a file path in a git tree written by Commit, or nil.
// The rules are those of `git fsck --strict` plus a few that catch caller mistakes
// (backslashes, invalid UTF-8), since generated paths never need them.
func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not valid UTF-8", p)
	case strings.ContainsAny(p, "\x00\\"):
		return fmt.Errorf("path %q contains a NUL or a backslash", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	}
	for elem := range strings.SplitSeq(p, "/") {
		switch {
		case elem == "":
			return fmt.Errorf("path %q has an empty element", p)
		case elem == "." || elem == "..":
			return fmt.Errorf("path %q has a %q element", p, elem)
		case strings.EqualFold(elem, ".git"):
			return fmt.Errorf("path %q has a .git element", p)
		}
	}
	return nil
}

// checkFiles validates every path of files and exec, that no path is both a file and a
// directory, and that marker is present.
func checkFiles(files Files, exec map[string]bool, marker string) error {
	paths := sortedKeys(files)
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidFiles, err)
		}
		for i := strings.IndexByte(p, '/'); i >= 0; i = next(p, i) {
			if _, ok := files[p[:i]]; ok {
				return fmt.Errorf("%w: %q is a file and also the directory of %q", ErrInvalidFiles, p[:i], p)
			}
		}
	}
	for _, p := range sortedKeys(exec) {
		if _, ok := files[p]; !ok && exec[p] {
			return fmt.Errorf("%w: executable %q is not in the file set", ErrInvalidFiles, p)
		}
	}
	if _, ok := files[marker]; !ok {
		return fmt.Errorf("%w: marker %q is not in the file set (the next run could not recognise the branch)",
			ErrInvalidFiles, marker)
	}
	return nil
}

// next returns the index of the '/' after index i in p, or -1.
func next(p string, i int) int {
	j := strings.IndexByte(p[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// builtTree is a tree computed in memory: its root hash, the objects to store (blobs and
// trees, in a deterministic order, each once), and the flat path->blob listing.
type builtTree struct {
	root    plumbing.Hash
	objects []plumbing.EncodedObject
	files   map[string]treeFile
}

type dirNode struct {
	files map[string]treeFile
	dirs  map[string]*dirNode
}

func newDirNode() *dirNode {
	return &dirNode{files: map[string]treeFile{}, dirs: map[string]*dirNode{}}
}

// buildTree hashes files into blobs and nested trees without storing anything, so that an
// unchanged tree can be detected before a single object is written. Paths must have passed
// checkFiles.
func buildTree(files Files, exec map[string]bool) (*builtTree, error) {
	b := &builtTree{files: map[string]treeFile{}}
	seen := map[plumbing.Hash]bool{}
	add := func(o plumbing.EncodedObject) {
		if !seen[o.Hash()] {
			seen[o.Hash()] = true
			b.objects = append(b.objects, o)
		}
	}
	root := newDirNode()
	for _, p := range sortedKeys(files) {
		blob := &plumbing.MemoryObject{}
		blob.SetType(plumbing.BlobObject)
		if _, err := blob.Write(files[p]); err != nil {
			return nil, fmt.Errorf("hashing %s: %w", p, err)
		}
		add(blob)
		mode := filemode.Regular
		if exec[p] {
			mode = filemode.Executable
		}
		f := treeFile{hash: blob.Hash(), mode: mode}
		b.files[p] = f

		dir := root
		elems := strings.Split(p, "/")
		for _, e := range elems[:len(elems)-1] {
			sub := dir.dirs[e]
			if sub == nil {
				sub = newDirNode()
				dir.dirs[e] = sub
			}
			dir = sub
		}
		dir.files[elems[len(elems)-1]] = f
	}
	h, err := encodeDir(root, add)
	if err != nil {
		return nil, err
	}
	b.root = h
	return b, nil
}

// encodeDir encodes d and its subdirectories bottom-up and returns d's tree hash.
func encodeDir(d *dirNode, add func(plumbing.EncodedObject)) (plumbing.Hash, error) {
	entries := make([]object.TreeEntry, 0, len(d.files)+len(d.dirs))
	for name, f := range d.files {
		entries = append(entries, object.TreeEntry{Name: name, Mode: f.mode, Hash: f.hash})
	}
	for _, name := range sortedKeys(d.dirs) {
		h, err := encodeDir(d.dirs[name], add)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries by name, comparing a directory as if its name ended in '/'.
	sort.Sort(object.TreeEntrySorter(entries))
	obj := &plumbing.MemoryObject{}
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding tree: %w", err)
	}
	add(obj)
	return obj.Hash(), nil
}

// store writes the objects that s does not have yet.
func (b *builtTree) store(s storer.EncodedObjectStorer) error {
	for _, o := range b.objects {
		if s.HasEncodedObject(o.Hash()) == nil {
			continue
		}
		if _, err := s.SetEncodedObject(o); err != nil {
			return fmt.Errorf("storing %s %s: %w", o.Type(), o.Hash(), err)
		}
	}
	return nil
}
