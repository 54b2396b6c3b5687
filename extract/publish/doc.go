// Package publish commits a generated file set to a branch of a git repository, using go-git
// only (no git binary), and renders unified diffs of file sets.
//
// # Ownership
//
// A repository that already exists belongs to its user. [Commit] builds blobs, trees and a
// commit directly in the object store and moves exactly one ref, refs/heads/<Branch>; the
// working tree, the index (.git/index) and HEAD are never read for writing, never written.
// That is only safe when the branch is not what a working tree has checked out, so such a
// branch is refused with [ErrBranchCheckedOut] rather than silently making that checkout stale.
//
// A repository that [Open] has just created belongs to Decant: Commit then also points HEAD at
// the branch and checks the files out, so the new directory looks like a normal clone.
//
// A branch is Decant's when its tip contains the marker file (by default
// .decant/manifest.json). A branch without it is someone else's work and is refused with
// [ErrForeignBranch] unless Options.Force is set. Every file set Commit accepts must contain
// the marker, so a branch Decant made stays recognisable.
//
// # Determinism
//
// The same files, modes, message, author and time always give the same tree and commit hashes:
// tree entries are sorted as git requires, there is no clock read inside the package (the caller
// sets Signature.When) and committer equals author. Committing a file set whose tree equals the
// branch tip's makes no commit and writes no object (Result.UpToDate).
//
// # Opening
//
// [Open] takes the repository root itself: it does not search parent directories, so a
// subdirectory of a repository is refused with [ErrNotRepository] and the error names the root
// to pass instead. A path that does not exist, or an empty directory, becomes a new non-bare
// repository; any other non-repository path is refused and left alone. Bare repositories and
// linked worktrees (a .git file) are opened normally.
//
// # Dry runs
//
// [Diff] renders the unified diff of a file set against a branch tip without writing anything,
// and [UnifiedDiff] does the same for two in-memory file sets, for other commands' dry runs.
// Both use sergi/go-diff in line mode with its time limit off, so the output is a function of
// the inputs alone.
package publish
