// Package extract turns a labeled GoNB notebook into a Go service repository.
//
// The flow runs one way:
//
//	notebooks.Notebook → Build → *Plan → Plan.Render → Files
//
// Build is pure: it reads the notebook model, splits each code cell the way GoNB does
// (package gonbcell), keys declarations the way GoNB memorizes them (the last definition of a
// key wins, in notebook order; cells whose saved outputs hold an error were never memorized),
// assigns cells to sections from labels, and type-checks the combined program with go/types to
// learn what each declaration uses. Unlabeled code that labeled code uses moves with its first
// user; the rest is left out. Every such decision is recorded in the Plan's report.
//
// Render is pure as well: it returns the files of the service (package, pipeline, batch command,
// HTTP server, OpenAPI document, tests, README, Makefile, manifest) as bytes. Writing them,
// resolving module versions, verifying that the result builds and committing it are edge steps
// done by the caller (see Verify and package publish).
//
// # Model
//
// GoNB rebuilds one program from every memorized declaration on each cell run, so the notebook's
// state is its declarations, not its values. Extract follows the saved notebook in cell order,
// which is the order a reader sees and the order a clean "Run All" executes. A warning is given
// when execution counts go down, since the saved state then came from another order.
package extract
