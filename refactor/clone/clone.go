// Package clone finds duplicated Go code: whole functions and runs of statements that are the
// same after identifiers and literals are abstracted away.
//
// Type-1 clones are identical apart from layout and comments; Type-2 clones have the same
// shape with identifiers renamed and literals changed. Detection hashes a normalized form of
// every statement once, bottom up, so its cost is linear in the size of the code plus the
// number of windows examined; no pair of fragments is ever compared directly.
//
// # Type checking
//
// With type information, candidates that share a shape are split further so that the members
// of a group really compute the same thing: at every identifier and literal the types must be
// identical; renaming must be consistent (a variable used twice in one member is used twice in
// the others); and identifiers that denote functions, types, packages, fields or builtins must
// denote the same object everywhere. Two fragments calling f and g, or the same calls in a
// different order, are therefore not clones. Candidates split off this way are reported as
// exclusions, with the reason. Without type information the checks fall back to names.
//
// # Size
//
// Sizes are counted in syntax nodes ("tokens" below), the unit mibk/dupl's threshold uses, so
// that thresholds of the two tools compare.
package clone

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
)

// Kind says what a clone group's members are.
type Kind string

const (
	// Func members are whole function or method declarations.
	Func Kind = "func"
	// Stmts members are runs of consecutive statements in one block.
	Stmts Kind = "stmts"
)

// Options sets thresholds. The zero value uses the defaults.
type Options struct {
	// MinTokens is the smallest member size reported, in syntax nodes; 0 means 50.
	MinTokens int
	// MinStmts is the fewest statements a statement-run member may have; 0 means 2.
	// Functions are not subject to it.
	MinStmts int
	// NoFuncs turns off whole-function grouping; statement runs inside functions are still found.
	NoFuncs bool
}

func (o Options) withDefaults() Options {
	if o.MinTokens <= 0 {
		o.MinTokens = 50
	}
	if o.MinStmts <= 0 {
		o.MinStmts = 2
	}
	return o
}

// Member is one occurrence of a clone.
type Member struct {
	// Pos and End delimit the member's source: the function declaration (without its doc
	// comment) or the statements.
	Pos, End token.Pos
	// File, Line and EndLine locate the member for people.
	File          string
	Line, EndLine int
	// Decl is the function declaration for Func members; for Stmts members it is the function
	// that encloses the statements (nil for statements in a function literal at package level).
	Decl *ast.FuncDecl
	// Stmts are the statements of a Stmts member, all from one block.
	Stmts []ast.Stmt
	// Block is the statement list that holds Stmts (a block, case or select clause body).
	Block ast.Node
	// Leaves are the member's identifiers and literals in source order; leaf i of every member
	// of a group is at the same place in the shape.
	Leaves []Leaf
}

// String formats the member as file:line-endline.
func (m Member) String() string { return fmt.Sprintf("%s:%d-%d", m.File, m.Line, m.EndLine) }

// Leaf is an identifier or literal of a member.
type Leaf struct {
	Expr ast.Expr // *ast.Ident or *ast.BasicLit
	Text string   // the identifier's name or the literal's source text
	// Obj is the object the identifier denotes or declares; nil for literals, blank
	// identifiers and when there is no type information.
	Obj types.Object
	// Type is the leaf's type; nil when unknown.
	Type types.Type
	// Local reports whether Obj is declared inside the member (so renaming it is harmless).
	Local bool
}

// Diff is a leaf position whose text differs between the members of a group.
type Diff struct {
	Index int        // leaf index, the same in every member
	Kind  DiffKind   // what differs
	Texts []string   // per member
	Type  types.Type // the common type; nil without type information
}

// DiffKind classifies a differing leaf.
type DiffKind string

const (
	// Literal positions hold different literal values.
	Literal DiffKind = "literal"
	// Value positions name different variables or constants declared outside the members.
	Value DiffKind = "value"
	// Rename positions name variables declared inside each member: a consistent renaming.
	Rename DiffKind = "rename"
)

// Group is a set of clones of one another.
type Group struct {
	Kind    Kind
	Tokens  int // size of one member, in syntax nodes
	Stmts   int // statements per member (for Func members, statements of the body, recursively)
	Members []Member
	Diffs   []Diff
}

// CloneType is 1 when the members are identical up to layout and comments, else 2.
func (g *Group) CloneType() int {
	if len(g.Diffs) == 0 {
		return 1
	}
	return 2
}

// Exclusion is a candidate group that was not reported, with the reason.
type Exclusion struct {
	Kind    Kind
	Members []Member
	Reason  string
}

// Result is everything Analyze found.
type Result struct {
	Groups   []Group
	Excluded []Exclusion
}

// Find returns the clone groups in files, sorted by position of their first member. info may
// be nil; otherwise it must cover every file (its Types, Defs, Uses and Implicits maps are read).
func Find(fset *token.FileSet, files []*ast.File, info *types.Info, opts Options) []Group {
	return Analyze(fset, files, info, opts).Groups
}
