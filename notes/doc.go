// Package notes writes reading notes for a GoNB notebook: the first step of turning research
// into a service is to read the code, and these notes do the reading work a mob documentation
// session would otherwise do by hand.
//
// Analyze is pure. For every cell it reports its role (its section label, or a suggested one
// when the notebook has no labels), what it declares and which notebook declarations and
// packages it uses (type-checked the way GoNB builds the cell: against the declarations
// memorized by the cells before it), the I/O it does (database, files, network, environment,
// shell), the TODO and FIXME notes already there, and smells: hard-coded paths, URLs, DSNs and
// credentials; SELECT *; package state changed in one cell and read in another; init side
// effects; shell commands the service would lose; redefinitions; cells whose saved output is an
// error; execution counts out of order; syntax errors; and blocks of statements duplicated
// across cells (equal up to the names of variables and the values of literals).
//
// Notes render as Markdown, JSON and an HTML fragment (for the live page of package live).
//
// # Writing notes back
//
// Annotate puts the notes into the notebook itself, the way the talk does it by hand: a
// "// TODO: ..." line above each smell that no TODO covers yet, and, when the notebook has no
// labels at all, a markdown heading cell ("## 1. Preparation") before the first cell of each
// suggested section. It changes nothing else: command lines stay as they are, nothing goes
// before a cell magic, cells of only commands are left alone (a comment would make GoNB build
// them), and a cell whose Go tokens would change is not touched. Running it again changes
// nothing, because a smell whose anchor line already carries a matching TODO counts as noted.
package notes
