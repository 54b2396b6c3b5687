// Package nbrun runs notebooks through a Jupyter kernel, the way papermill
// and nbclient do, and writes the executed notebook: outputs, execution
// counts and timing metadata, as valid nbformat.
//
// # Parameters
//
// A cell tagged "parameters" declares the notebook's parameters as
// package-level vars and consts:
//
//	var threshold = 0.5
//	const epochs = 10
//	var dbPath = "churn.db"
//
// [InjectParameters] adds a cell tagged "injected-parameters" right after
// it that declares them again with new values. GoNB keeps the last
// definition of each name, so every later cell sees the new values. The
// values are written as Go literals of the declared type (strings quoted,
// numbers checked against their type), and a name the parameters cell
// does not declare is an error that lists the ones it does. GoNB chains
// the members of a const group, so a parameter in a group is injected by
// repeating the whole group with the new values.
//
// # Running
//
// [Run] executes a notebook already in memory through an [Executor] (a
// *kernel.Client). It stops at the first failing cell unless told to go
// on, marks failures in the notebook the way papermill does (a banner
// cell at the top linking to a marker cell before the failing cell), and
// turns GoNB's silent failures (a panic reported as success) into errors.
// [RunFile] and [RunFiles] add the edges: reading the notebook, picking
// and starting a kernel in the notebook's directory ([SpecFinder]),
// shutting it down, and writing the result atomically, several notebooks
// at a time if asked.
//
// Cell numbers in messages are 0-based indexes into the notebook's cells,
// as elsewhere in Decant; "In [N]" is the kernel's execution count.
//
// # Setup
//
// [Setup] installs the pinned GoNB and goimports and registers GoNB's
// kernelspec with copies of both programs, so a kernel found by name does
// not depend on the Go build cache.
//
// # Files
//
//   - params.go: parameters cell parsing, Go literals, InjectParameters.
//   - run.go: Run, Report, error banner, timing metadata.
//   - convert.go: kernel outputs to notebook outputs.
//   - file.go: RunFile, RunFiles, Config.
//   - spec.go: SpecFinder, finding a module that pins GoNB.
//   - progress.go: Bar, the terminal progress line.
//   - setup.go: Setup.
package nbrun
